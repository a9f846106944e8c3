package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

const unknownID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

func TestBulkStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		m := bulkManager(t, st)
		ctx := actingAs(seedUser(t, st, "root@example.com", store.StatusActive, store.RoleAdmin))
		active := seedUser(t, st, "active@example.com", store.StatusActive)
		locked := seedUser(t, st, "locked@example.com", store.StatusLocked)
		off := seedUser(t, st, "off@example.com", store.StatusDeactivated)
		gone := seedUser(t, st, "gone@example.com", store.StatusDeleted)

		tests := []struct {
			name       string
			call       func(context.Context, []string) (admin.BulkResult, error)
			ids        []string
			succeeded  int
			failed     []admin.BulkFailure
			statuses   map[string]store.Status
			auditCount int
		}{
			{"Deactivate", m.Admin().BulkDeactivate, []string{active, locked, off, gone, unknownID, "not-a-uuid", active}, 3,
				[]admin.BulkFailure{{ID: gone, Code: "ACCOUNT_DELETED"}, {ID: unknownID, Code: "USER_NOT_FOUND"}, {ID: "not-a-uuid", Code: "USER_NOT_FOUND"}},
				map[string]store.Status{active: store.StatusDeactivated, locked: store.StatusDeactivated, off: store.StatusDeactivated, gone: store.StatusDeleted}, 2},
			{"Activate", m.Admin().BulkActivate, []string{active, locked, off, gone}, 3,
				[]admin.BulkFailure{{ID: gone, Code: "ACCOUNT_DELETED"}},
				map[string]store.Status{active: store.StatusActive, locked: store.StatusActive, off: store.StatusActive}, 3},
			{"Delete", m.Admin().BulkDelete, []string{active, gone, unknownID}, 2,
				[]admin.BulkFailure{{ID: unknownID, Code: "USER_NOT_FOUND"}},
				map[string]store.Status{active: store.StatusDeleted, gone: store.StatusDeleted, off: store.StatusActive}, 1},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res, err := tc.call(ctx, tc.ids)
				require.NoError(t, err)
				assert.Equal(t, tc.succeeded, res.Succeeded)
				assert.Equal(t, tc.failed, res.Failed)
				for id, want := range tc.statuses {
					assert.Equal(t, want, statusOf(t, st, id), id)
				}
				assert.Len(t, auditRows(t, st, "admin.bulk."+strings.ToLower(tc.name)), tc.auditCount, "one row per user changed")
			})
		}
		u, err := st.Users().ByID(context.Background(), active)
		require.NoError(t, err)
		require.NotNil(t, u.PurgeAfter)
		assert.Equal(t, bulkNow.Add(30*24*time.Hour), u.PurgeAfter.UTC(), "the recovery window")
	})
}

func TestBulkRevokesSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		m := bulkManager(t, st)
		ctx := actingAs(seedUser(t, st, "root@example.com", store.StatusActive, store.RoleAdmin))
		for _, call := range []func(context.Context, []string) (admin.BulkResult, error){m.Admin().BulkDeactivate, m.Admin().BulkDelete} {
			id := seedUser(t, st, uuid.NewString()+"@example.com", store.StatusActive)
			sess := &store.Session{UserID: id, CreatedAt: bulkNow, LastSeenAt: bulkNow, ExpiresAt: bulkNow.Add(time.Hour)}
			require.NoError(t, st.Sessions().Create(context.Background(), sess))
			state, err := m.Sessions().State(context.Background(), sess.ID)
			require.NoError(t, err)
			require.True(t, state.Active(bulkNow), "cached as active")

			_, err = call(ctx, []string{id})
			require.NoError(t, err)
			got, err := st.Sessions().ByID(context.Background(), sess.ID)
			require.NoError(t, err)
			assert.NotNil(t, got.RevokedAt)
			state, err = m.Sessions().State(context.Background(), sess.ID)
			if err == nil {
				assert.False(t, state.Active(bulkNow), "the cache dropped the session at once")
			}
		}
	})
}

func TestBulkLastAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		m := bulkManager(t, st)
		a := seedUser(t, st, "a@example.com", store.StatusActive, store.RoleAdmin)
		b := seedUser(t, st, "b@example.com", store.StatusActive, store.RoleAdmin)
		seedUser(t, st, "c@example.com", store.StatusDeactivated, store.RoleAdmin) // does not count
		plain := seedUser(t, st, "p@example.com", store.StatusActive)

		for _, tc := range []struct {
			name string
			call func(context.Context, []string) (admin.BulkResult, error)
		}{{"Deactivate", m.Admin().BulkDeactivate}, {"Delete", m.Admin().BulkDelete}} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := tc.call(actingAs(a), []string{a, b, plain})
				require.NoError(t, err)
				assert.Equal(t, 2, res.Succeeded)
				assert.Equal(t, []admin.BulkFailure{{ID: a, Code: "LAST_ADMIN"}}, res.Failed)
				assert.Equal(t, store.StatusActive, statusOf(t, st, a), "one active admin is left")
				n, err := st.Bulk().CountActiveHolders(context.Background(), adminRoleID(t, st), nil)
				require.NoError(t, err)
				assert.Equal(t, 1, n)
				_, err = st.Bulk().SetStatus(context.Background(), []string{b, plain}, store.StatusChange{Status: store.StatusActive, At: bulkNow})
				require.NoError(t, err)
			})
		}
		t.Run("AcrossChunks", func(t *testing.T) {
			ids := []string{b}
			for len(ids) < admin.BulkChunk {
				ids = append(ids, uuid.NewString())
			}
			ids = append(ids, a) // in the second chunk, after b went
			res, err := m.Admin().BulkDeactivate(store.NewContextWithActor(context.Background(), store.SystemActor), ids)
			require.NoError(t, err)
			assert.Equal(t, 1, res.Succeeded)
			assert.Contains(t, res.Failed, admin.BulkFailure{ID: a, Code: "LAST_ADMIN"})
			assert.Len(t, res.Failed, admin.BulkChunk, "the unknown ids and a")
		})
	})
}

func adminRoleID(t *testing.T, st store.Store) string {
	r, err := st.Roles().ByName(context.Background(), store.RoleAdmin)
	require.NoError(t, err)
	return r.ID
}

func TestBulkEscalation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		m := bulkManager(t, st)
		seedRole(t, st, "helpdesk", "USER_MANAGE", "USER_DELETE", "ROLE_ASSIGN", "USER_READ")
		helper := seedUser(t, st, "help@example.com", store.StatusActive, "helpdesk")
		boss := seedUser(t, st, "boss@example.com", store.StatusActive, store.RoleAdmin)
		mod := seedUser(t, st, "mod@example.com", store.StatusActive, store.RoleModerator)
		plain := seedUser(t, st, "p@example.com", store.StatusActive)

		res, err := m.Admin().BulkDeactivate(actingAs(helper), []string{boss, mod, plain})
		require.NoError(t, err)
		assert.Equal(t, 1, res.Succeeded)
		assert.Equal(t, []admin.BulkFailure{{ID: boss, Code: "PERMISSION_DENIED"}, {ID: mod, Code: "PERMISSION_DENIED"}}, res.Failed,
			"the moderator holds AUDIT_READ and USER_UPDATE, which the helpdesk lacks")
		assert.Equal(t, store.StatusActive, statusOf(t, st, boss))
		var denied int
		for _, e := range auditRows(t, st, "admin.bulk.deactivate") {
			if e.Outcome == store.OutcomeDenied {
				denied++
				assert.Equal(t, helper, e.ActorID)
			}
		}
		assert.Equal(t, 2, denied)

		adminRole, err := st.Roles().ByName(context.Background(), store.RoleAdmin)
		require.NoError(t, err)
		_, err = m.Admin().BulkAssignRole(actingAs(helper), []string{helper}, adminRole.ID)
		assert.ErrorIs(t, err, store.ErrPermissionDenied, "nobody grants what they lack, themselves included")
		assert.Len(t, auditRows(t, st, "admin.bulk.assign_role"), 1, "the refusal is audited")
		assert.Equal(t, []string{"helpdesk"}, roleNames(t, st, helper))
	})
}

func roleNames(t *testing.T, st store.Store, id string) []string {
	rs, err := st.Roles().RolesOf(context.Background(), id)
	require.NoError(t, err)
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestBulkAssignRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		m := bulkManager(t, st)
		ctx := actingAs(seedUser(t, st, "root@example.com", store.StatusActive, store.RoleAdmin))
		role := seedRole(t, st, "auditor", "AUDIT_READ")
		holder := seedUser(t, st, "h@example.com", store.StatusActive, "auditor")
		plain := seedUser(t, st, "p@example.com", store.StatusSuspended)

		res, err := m.Admin().BulkAssignRole(ctx, []string{holder, plain, unknownID}, role.ID)
		require.NoError(t, err)
		assert.Equal(t, admin.BulkResult{Succeeded: 2, Failed: []admin.BulkFailure{{ID: unknownID, Code: "USER_NOT_FOUND"}}}, res)
		assert.Equal(t, []string{"auditor"}, roleNames(t, st, plain))
		rows := auditRows(t, st, "admin.bulk.assign_role")
		require.Len(t, rows, 1, "nothing written for the holder")
		assert.Equal(t, plain, rows[0].TargetID)
		assert.Equal(t, role.ID, rows[0].Metadata["role_id"])

		_, err = m.Admin().BulkAssignRole(ctx, []string{plain}, unknownID)
		assert.ErrorIs(t, err, store.ErrRoleNotFound)
		var events int
		require.NoError(t, st.DB().NewSelect().Table("outbox_events").ColumnExpr("count(*)").
			Where("name = ?", string(store.EventUserBulkAction)).Scan(context.Background(), &events))
		assert.Equal(t, 1, events, "one UserBulkAction per chunk that changed someone")
	})
}

func TestBulkRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		m := bulkManager(t, st)
		mod := seedUser(t, st, "mod@example.com", store.StatusActive, store.RoleModerator)
		root := actingAs(seedUser(t, st, "root@example.com", store.StatusActive, store.RoleAdmin))
		tooMany := make([]string, admin.MaxBulkIDs+1)
		for i := range tooMany {
			tooMany[i] = unknownID
		}
		tests := []struct {
			name string
			ctx  context.Context
			ids  []string
			err  error
		}{
			{"NoActor", context.Background(), []string{mod}, store.ErrUnauthenticated},
			{"NoPermission", actingAs(mod), []string{mod}, store.ErrPermissionDenied},
			{"Empty", root, nil, store.ErrValidation},
			{"TooMany", root, tooMany, store.ErrValidation},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for _, call := range []func(context.Context, []string) (admin.BulkResult, error){
					m.Admin().BulkActivate, m.Admin().BulkDeactivate, m.Admin().BulkDelete,
					func(ctx context.Context, ids []string) (admin.BulkResult, error) {
						return m.Admin().BulkAssignRole(ctx, ids, adminRoleID(t, st))
					},
				} {
					_, err := call(tc.ctx, tc.ids)
					assert.ErrorIs(t, err, tc.err)
				}
			})
		}
		assert.Equal(t, store.StatusActive, statusOf(t, st, mod))
	})
}
