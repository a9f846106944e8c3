package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// queryEnv is a Query wired to the real rbac service, with an admin and a
// moderator (AUDIT_READ, not SYSTEM_MANAGE) and a plain user.
type queryEnv struct {
	st                  store.Store
	log                 *audit.Log
	q                   *audit.Query
	admin, mod, user    context.Context
	adminID, modID, uid string
}

func newQueryEnv(t *testing.T, st store.Store, now func() time.Time) *queryEnv {
	t.Helper()
	log := audit.New(st, now)
	r := rbac.New(st, log, now)
	q, err := audit.NewQuery(log, func(ctx context.Context, p, action, target string) error {
		_, err := r.Require(ctx, rbac.Permission(p), action, target)
		return err
	})
	require.NoError(t, err)
	e := &queryEnv{st: st, log: log, q: q}
	e.adminID = newUser(t, st, "admin@example.com", store.RoleAdmin)
	e.modID = newUser(t, st, "mod@example.com", store.RoleModerator)
	e.uid = newUser(t, st, "user@example.com", store.RoleUser)
	as := func(id string) context.Context {
		return store.NewContextWithActor(context.Background(), store.Actor{UserID: id})
	}
	e.admin, e.mod, e.user = as(e.adminID), as(e.modID), as(e.uid)
	return e
}

func newUser(t *testing.T, st store.Store, email string, roles ...string) string {
	t.Helper()
	ctx := context.Background()
	u := &store.User{Email: email, CreatedAt: fixed, UpdatedAt: fixed}
	require.NoError(t, st.Users().Create(ctx, u))
	for _, name := range roles {
		r, err := st.Roles().ByName(ctx, name)
		require.NoError(t, err)
		require.NoError(t, st.Roles().Assign(ctx, u.ID, r.ID, fixed))
	}
	return u.ID
}

// put writes entries straight to the store, at the times given.
func put(t *testing.T, st store.Store, es ...store.AuditEntry) {
	t.Helper()
	for i := range es {
		require.NoError(t, st.Audit().Record(context.Background(), &es[i]))
	}
}

func TestQueryPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newQueryEnv(t, st, func() time.Time { return fixed })
		calls := []struct {
			name string
			perm string
			call func(ctx context.Context) error
		}{
			{"List", audit.PermissionRead, func(ctx context.Context) error {
				_, err := e.q.List(ctx, store.AuditFilter{}, store.ListRequest{})
				return err
			}},
			{"OfUser", audit.PermissionRead, func(ctx context.Context) error {
				_, err := e.q.OfUser(ctx, e.uid, store.ListRequest{})
				return err
			}},
			{"Stats", audit.PermissionRead, func(ctx context.Context) error {
				_, err := e.q.Stats(ctx, audit.Window{})
				return err
			}},
			{"Analytics", audit.PermissionRead, func(ctx context.Context) error {
				_, err := e.q.Analytics(ctx, audit.Window{}, audit.Day)
				return err
			}},
			{"Cleanup", audit.PermissionManage, func(ctx context.Context) error {
				_, err := e.q.Cleanup(ctx, 30)
				return err
			}},
			{"RollUp", audit.PermissionManage, e.q.RollUp},
		}
		for _, c := range calls {
			t.Run(c.name, func(t *testing.T) {
				assert.ErrorIs(t, c.call(context.Background()), store.ErrUnauthenticated, "no actor")
				assert.ErrorIs(t, c.call(e.user), store.ErrPermissionDenied, "a plain user")
				if c.perm == audit.PermissionManage {
					assert.ErrorIs(t, c.call(e.mod), store.ErrPermissionDenied, "a moderator reads but does not clean up")
				} else {
					assert.NoError(t, c.call(e.mod))
				}
				assert.NoError(t, c.call(e.admin))
				assert.NoError(t, c.call(store.NewContextWithActor(context.Background(), store.SystemActor)))
			})
		}
		denied, err := st.Audit().List(context.Background(), store.AuditFilter{ActorID: e.uid, Outcome: store.OutcomeDenied}, store.ListRequest{Limit: 100})
		require.NoError(t, err)
		assert.Len(t, denied.Items, len(calls), "every refusal is audited as denied")
	})
}

func TestQueryPermissionNames(t *testing.T) {
	assert.Equal(t, string(rbac.AuditRead), audit.PermissionRead)
	assert.Equal(t, string(rbac.SystemManage), audit.PermissionManage)
}

func TestQueryListAndOfUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newQueryEnv(t, st, func() time.Time { return fixed })
		put(t, st,
			store.AuditEntry{ActorID: e.uid, TargetID: e.uid, Action: "user.update", Outcome: store.OutcomeSuccess, IP: "203.0.113.1", CreatedAt: fixed.Add(-3 * time.Hour)},
			store.AuditEntry{ActorID: e.adminID, TargetID: e.uid, Action: "role.assign", Outcome: store.OutcomeSuccess, IP: "203.0.113.2", CreatedAt: fixed.Add(-2 * time.Hour)},
			store.AuditEntry{ActorID: e.modID, TargetID: e.adminID, Action: "role.assign", Outcome: store.OutcomeDenied, IP: "203.0.113.2", CreatedAt: fixed.Add(-time.Hour)},
		)
		cases := []struct {
			name string
			f    store.AuditFilter
			want []string
		}{
			{"Action", store.AuditFilter{Action: "role.assign"}, []string{"role.assign/denied", "role.assign/success"}},
			{"Outcome", store.AuditFilter{Outcome: store.OutcomeDenied}, []string{"role.assign/denied"}},
			{"IP", store.AuditFilter{IP: "203.0.113.2", Action: "role.assign"}, []string{"role.assign/denied", "role.assign/success"}},
			{"Target", store.AuditFilter{TargetID: e.uid}, []string{"role.assign/success", "user.update/success"}},
			{"Window", store.AuditFilter{From: fixed.Add(-150 * time.Minute), To: fixed.Add(-time.Hour)}, []string{"role.assign/success"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p, err := e.q.List(e.mod, c.f, store.ListRequest{Limit: 100})
				require.NoError(t, err)
				assert.Equal(t, c.want, describe(p.Items))
			})
		}
		t.Run("BackwardsWindow", func(t *testing.T) {
			_, err := e.q.List(e.mod, store.AuditFilter{From: fixed, To: fixed.Add(-time.Hour)}, store.ListRequest{})
			assert.ErrorIs(t, err, store.ErrValidation)
		})
		t.Run("OfUser", func(t *testing.T) {
			p, err := e.q.OfUser(e.mod, e.uid, store.ListRequest{Limit: 100})
			require.NoError(t, err)
			assert.Equal(t, []string{"role.assign/success", "user.update/success"}, describe(p.Items), "as actor or target, once each")
		})
	})
}

// describe names entries "action/outcome" in order.
func describe(es []store.AuditEntry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Action+"/"+string(e.Outcome))
	}
	return out
}
