package rbac_test

import (
	"context"
	"fmt"
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

var fixed = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

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

func TestPermissions(t *testing.T) {
	perms := rbac.Permissions()
	assert.Len(t, perms, 14)
	seen := map[rbac.Permission]bool{}
	for _, p := range perms {
		assert.NotEmpty(t, p.Description, p.Name)
		assert.True(t, rbac.Valid(string(p.Name)))
		seen[p.Name] = true
	}
	assert.Len(t, seen, 14)
	assert.False(t, rbac.Valid("GOD_MODE"))
	assert.False(t, rbac.Valid("user_read"), "names are exact")
}

// as returns ctx acting as the user, as the HTTP API puts it there.
func as(ctx context.Context, userID string) context.Context {
	return store.NewContextWithActor(ctx, store.Actor{UserID: userID})
}

func newService(st store.Store) *rbac.Service {
	return rbac.New(st, audit.New(st, func() time.Time { return fixed }), func() time.Time { return fixed })
}

func TestService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		// changed collects the users whose change the store announced, which
		// is how caches hear of it.
		var changed []string
		defer st.Subscribe(func(c store.Change) {
			if c.Kind == store.UserChanged {
				changed = append(changed, c.UserID)
			}
		})()
		svc := newService(st)
		admin := newUser(t, st, "admin@example.com", store.RoleAdmin)
		mod := newUser(t, st, "mod@example.com", store.RoleModerator)
		plain := newUser(t, st, "user@example.com", store.RoleUser)
		// The moderator may create roles too, through a custom role.
		creator := &store.Role{Name: "creator", Permissions: []string{"ROLE_CREATE"}, CreatedAt: fixed, UpdatedAt: fixed}
		require.NoError(t, st.Roles().Create(ctx, creator))
		require.NoError(t, st.Roles().Assign(ctx, mod, creator.ID, fixed))

		t.Run("Can", func(t *testing.T) {
			tests := []struct {
				user string
				perm rbac.Permission
				want bool
			}{
				{admin, rbac.SystemManage, true},
				{mod, rbac.UserRead, true},
				{mod, rbac.AuditRead, true},
				{mod, rbac.UserDelete, false},
				{plain, rbac.UserRead, false},
				{"nope", rbac.UserRead, false},
			}
			for _, tc := range tests {
				got, err := svc.Can(ctx, tc.user, tc.perm)
				require.NoError(t, err)
				assert.Equal(t, tc.want, got, "%s %s", tc.user, tc.perm)
			}
		})

		t.Run("CreateValidates", func(t *testing.T) {
			tests := []struct {
				name string
				in   rbac.RoleInput
				err  error
			}{
				{"EmptyName", rbac.RoleInput{Name: " "}, store.ErrValidation},
				{"LongName", rbac.RoleInput{Name: string(make([]byte, 51))}, store.ErrValidation},
				{"UnknownPermission", rbac.RoleInput{Name: "x-role", Permissions: []string{"NOPE"}}, store.ErrValidation},
				{"Escalation", rbac.RoleInput{Name: "x-role", Permissions: []string{"USER_DELETE"}}, store.ErrPermissionDenied},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					_, err := svc.CreateRole(as(ctx, mod), tc.in)
					assert.ErrorIs(t, err, tc.err)
				})
			}
		})

		t.Run("CreateDeduplicatesAndSorts", func(t *testing.T) {
			r, err := svc.CreateRole(as(ctx, mod), rbac.RoleInput{Name: "helpers", Permissions: []string{"USER_UPDATE", "USER_READ", "USER_READ"}})
			require.NoError(t, err)
			assert.Equal(t, []string{"USER_READ", "USER_UPDATE"}, r.Permissions)
			got, err := svc.Role(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, "helpers", got.Name)
		})

		t.Run("AssignAndUnassign", func(t *testing.T) {
			helpers, err := st.Roles().ByName(ctx, "helpers")
			require.NoError(t, err)
			changed = nil
			roles, err := svc.Assign(as(ctx, admin), plain, helpers.ID)
			require.NoError(t, err)
			assert.Len(t, roles, 2)
			assert.Equal(t, []string{plain}, changed, "caches hear of the change")
			ok, err := svc.Can(ctx, plain, rbac.UserUpdate)
			require.NoError(t, err)
			assert.True(t, ok)
			require.NoError(t, svc.Unassign(as(ctx, admin), plain, helpers.ID))
			assert.ErrorIs(t, svc.Unassign(as(ctx, admin), plain, helpers.ID), store.ErrRoleNotFound)
			_, err = svc.Assign(as(ctx, plain), plain, helpers.ID)
			assert.ErrorIs(t, err, store.ErrPermissionDenied, "nobody grants what they lack")
		})

		t.Run("LastAdmin", func(t *testing.T) {
			adminRole, err := st.Roles().ByName(ctx, store.RoleAdmin)
			require.NoError(t, err)
			assert.ErrorIs(t, svc.Unassign(as(ctx, admin), admin, adminRole.ID), store.ErrLastAdmin)
			err = st.InTx(ctx, func(tx store.Repos) error { return svc.GuardLastAdmin(ctx, tx, admin) })
			assert.ErrorIs(t, err, store.ErrLastAdmin, "inside a host's own transaction")
			err = st.InTx(ctx, func(tx store.Repos) error { return svc.GuardLastAdmin(ctx, tx, plain) })
			assert.NoError(t, err, "not an admin: nothing to guard")
		})

		t.Run("BuiltIns", func(t *testing.T) {
			userRole, err := st.Roles().ByName(ctx, store.RoleUser)
			require.NoError(t, err)
			assert.ErrorIs(t, svc.DeleteRole(as(ctx, admin), userRole.ID), store.ErrBuiltinRole)
			_, err = svc.UpdateRole(as(ctx, admin), userRole.ID, rbac.RoleInput{Name: "users"})
			assert.ErrorIs(t, err, store.ErrBuiltinRole)
		})
	})
}

// TestBuiltinPermissionsFixed: the permissions of admin, moderator and user
// never change, whoever asks; their descriptions may.
func TestBuiltinPermissionsFixed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		svc := newService(st)
		admin := newUser(t, st, "admin@example.com", store.RoleAdmin)
		ids := map[string]string{}
		for _, name := range []string{store.RoleAdmin, store.RoleModerator, store.RoleUser} {
			r, err := st.Roles().ByName(ctx, name)
			require.NoError(t, err)
			ids[name] = r.ID
		}
		all := make([]string, 0, 14)
		for _, p := range rbac.Permissions() {
			all = append(all, string(p.Name))
		}
		tests := []struct {
			name  string
			actor store.Actor
			role  string
			perms []string
			err   error
		}{
			{"UserGainsOne", store.Actor{UserID: admin}, store.RoleUser, []string{"USER_READ"}, store.ErrBuiltinRole},
			{"UserGainsAll", store.Actor{UserID: admin}, store.RoleUser, all, store.ErrBuiltinRole},
			{"UserBySystem", store.SystemActor, store.RoleUser, []string{"ROLE_UPDATE"}, store.ErrBuiltinRole},
			{"ModeratorLosesOne", store.Actor{UserID: admin}, store.RoleModerator, []string{"USER_READ", "USER_UPDATE"}, store.ErrBuiltinRole},
			{"ModeratorGainsOne", store.Actor{UserID: admin}, store.RoleModerator, []string{"AUDIT_READ", "USER_DELETE", "USER_READ", "USER_UPDATE"}, store.ErrBuiltinRole},
			{"AdminLosesOne", store.Actor{UserID: admin}, store.RoleAdmin, all[1:], store.ErrBuiltinRole},
			{"UserDescription", store.Actor{UserID: admin}, store.RoleUser, nil, nil},
			{"ModeratorDescription", store.Actor{UserID: admin}, store.RoleModerator, []string{"USER_UPDATE", "AUDIT_READ", "USER_READ"}, nil},
			{"AdminDescription", store.SystemActor, store.RoleAdmin, all, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before, err := st.Roles().ByID(ctx, ids[tc.role])
				require.NoError(t, err)
				got, err := svc.UpdateRole(store.NewContextWithActor(ctx, tc.actor), ids[tc.role],
					rbac.RoleInput{Name: tc.role, Description: "new words for " + tc.name, Permissions: tc.perms})
				after, rerr := st.Roles().ByID(ctx, ids[tc.role])
				require.NoError(t, rerr)
				assert.Equal(t, before.Permissions, after.Permissions, "the permissions stay")
				if tc.err != nil {
					assert.ErrorIs(t, err, tc.err)
					assert.Equal(t, before.Description, after.Description, "nothing written")
					return
				}
				require.NoError(t, err)
				assert.Equal(t, "new words for "+tc.name, after.Description)
				assert.Equal(t, before.Permissions, got.Permissions)
			})
		}
	})
}

// TestNobodyTouchesWhatTheyLack runs every changing method as a role
// manager who holds every ROLE_ permission and USER_READ but nothing else,
// against roles holding USER_DELETE: each is refused and audited as denied
// exactly once, and nothing changes.
func TestNobodyTouchesWhatTheyLack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		svc := newService(st)
		mgrRole := &store.Role{Name: "role-manager", CreatedAt: fixed, UpdatedAt: fixed,
			Permissions: []string{"ROLE_ASSIGN", "ROLE_CREATE", "ROLE_DELETE", "ROLE_READ", "ROLE_UPDATE", "USER_READ"}}
		require.NoError(t, st.Roles().Create(ctx, mgrRole))
		manager := newUser(t, st, "manager@example.com", "role-manager")
		holder := newUser(t, st, "holder@example.com")
		plain := newUser(t, st, "plain@example.com")
		strong := &store.Role{Name: "deleters", Permissions: []string{"USER_DELETE", "USER_READ"}, CreatedAt: fixed, UpdatedAt: fixed}
		require.NoError(t, st.Roles().Create(ctx, strong))
		unused := &store.Role{Name: "unused-deleters", Permissions: []string{"USER_DELETE"}, CreatedAt: fixed, UpdatedAt: fixed}
		require.NoError(t, st.Roles().Create(ctx, unused))
		require.NoError(t, st.Roles().Assign(ctx, holder, strong.ID, fixed))
		userRole, err := st.Roles().ByName(ctx, store.RoleUser)
		require.NoError(t, err)
		adminRole, err := st.Roles().ByName(ctx, store.RoleAdmin)
		require.NoError(t, err)
		mctx := as(ctx, manager)

		tests := []struct {
			name   string
			action string
			call   func() error
		}{
			{"CreateWithMore", "role.create", func() error {
				_, err := svc.CreateRole(mctx, rbac.RoleInput{Name: "escalate", Permissions: []string{"USER_DELETE"}})
				return err
			}},
			{"WidenBuiltinUser", "role.update", func() error {
				_, err := svc.UpdateRole(mctx, userRole.ID, rbac.RoleInput{Name: "user", Permissions: []string{"SYSTEM_MANAGE"}})
				return err
			}},
			{"WidenOwnRole", "role.update", func() error {
				_, err := svc.UpdateRole(mctx, mgrRole.ID, rbac.RoleInput{Name: "role-manager",
					Permissions: append([]string{"ADMIN_ACCESS"}, mgrRole.Permissions...)})
				return err
			}},
			{"StripStrongerRole", "role.update", func() error {
				_, err := svc.UpdateRole(mctx, strong.ID, rbac.RoleInput{Name: "deleters", Permissions: []string{"USER_READ"}})
				return err
			}},
			{"RenameStrongerRole", "role.update", func() error {
				_, err := svc.UpdateRole(mctx, strong.ID, rbac.RoleInput{Name: "harmless", Permissions: []string{"USER_DELETE", "USER_READ"}})
				return err
			}},
			{"DeleteStrongerRole", "role.delete", func() error { return svc.DeleteRole(mctx, unused.ID) }},
			{"AssignStrongerRole", "role.assign", func() error {
				_, err := svc.Assign(mctx, plain, strong.ID)
				return err
			}},
			{"AssignAdmin", "role.assign", func() error {
				_, err := svc.Assign(mctx, manager, adminRole.ID)
				return err
			}},
			{"UnassignStrongerRole", "role.unassign", func() error { return svc.Unassign(mctx, holder, strong.ID) }},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, st)
				denied := deniedCount(t, st, tc.action)
				err := tc.call()
				assert.ErrorIs(t, err, store.ErrPermissionDenied)
				assert.True(t, audit.Recorded(err), "the HTTP layer must not audit it again")
				assert.Equal(t, denied+1, deniedCount(t, st, tc.action), "audited as denied exactly once")
				assert.Equal(t, before, snapshot(t, st), "nothing changed")
			})
		}
		t.Run("DeniedRowNamesActorAndPermission", func(t *testing.T) {
			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "role.delete", Outcome: store.OutcomeDenied}, store.ListRequest{Limit: 1})
			require.NoError(t, err)
			rows := page.Items
			require.Len(t, rows, 1)
			assert.Equal(t, manager, rows[0].ActorID)
			assert.Equal(t, unused.ID, rows[0].TargetID)
			assert.Equal(t, "USER_DELETE", rows[0].Metadata["permission"])
		})
		t.Run("WithinOwnPermissions", func(t *testing.T) {
			r, err := svc.CreateRole(mctx, rbac.RoleInput{Name: "readers", Permissions: []string{"USER_READ"}})
			require.NoError(t, err)
			_, err = svc.UpdateRole(mctx, r.ID, rbac.RoleInput{Name: "readers", Description: "Read users", Permissions: []string{"ROLE_READ", "USER_READ"}})
			require.NoError(t, err)
			_, err = svc.Assign(mctx, plain, r.ID)
			require.NoError(t, err)
			require.NoError(t, svc.Unassign(mctx, plain, r.ID))
			require.NoError(t, svc.DeleteRole(mctx, r.ID))
		})
		t.Run("LacksTheOperation", func(t *testing.T) {
			// holder may hold a strong role but not ROLE_CREATE.
			_, err := svc.CreateRole(as(ctx, holder), rbac.RoleInput{Name: "mine", Permissions: []string{"USER_READ"}})
			assert.ErrorIs(t, err, store.ErrPermissionDenied)
		})
	})
}

// snapshot is every role with its permissions, description and holders.
func snapshot(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	roles, err := st.Roles().List(ctx)
	require.NoError(t, err)
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	counts, err := st.Roles().UserCounts(ctx, ids)
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range roles {
		out[r.ID] = fmt.Sprintf("%s|%s|%v|%d", r.Name, r.Description, r.Permissions, counts[r.ID])
	}
	return out
}

func deniedCount(t *testing.T, st store.Store, action string) int {
	t.Helper()
	n, err := st.Audit().Count(context.Background(), store.AuditFilter{Action: action, Outcome: store.OutcomeDenied})
	require.NoError(t, err)
	return n
}

// TestActorFromContext: the actor of every change is the one in the
// context; none is ErrUnauthenticated; SystemActor passes the checks.
func TestActorFromContext(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		svc := newService(st)
		adminID := newUser(t, st, "admin@example.com", store.RoleAdmin)
		userID := newUser(t, st, "user@example.com")
		modRole, err := st.Roles().ByName(ctx, store.RoleModerator)
		require.NoError(t, err)

		t.Run("AuditNamesTheActor", func(t *testing.T) {
			_, err := svc.Assign(store.NewContextWithActor(ctx, store.Actor{UserID: adminID}), userID, modRole.ID)
			require.NoError(t, err)
			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "role.assign", TargetID: userID}, store.ListRequest{Limit: 1})
			require.NoError(t, err)
			rows := page.Items
			require.Len(t, rows, 1)
			assert.Equal(t, adminID, rows[0].ActorID)
			assert.Empty(t, rows[0].ImpersonatorID)
			assert.Equal(t, store.OutcomeSuccess, rows[0].Outcome)
		})
		t.Run("AuditNamesTheImpersonator", func(t *testing.T) {
			// An admin acting as another admin: the row carries both.
			other := newUser(t, st, "admin2@example.com", store.RoleAdmin)
			actx := store.NewContextWithActor(ctx, store.Actor{UserID: other, ImpersonatorID: adminID})
			require.NoError(t, svc.Unassign(actx, userID, modRole.ID))
			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "role.unassign", TargetID: userID}, store.ListRequest{Limit: 1})
			require.NoError(t, err)
			rows := page.Items
			require.Len(t, rows, 1)
			assert.Equal(t, other, rows[0].ActorID)
			assert.Equal(t, adminID, rows[0].ImpersonatorID)
		})
		t.Run("NoActor", func(t *testing.T) {
			roleID := modRole.ID
			calls := map[string]func(context.Context) error{
				"CreateRole": func(c context.Context) error {
					_, err := svc.CreateRole(c, rbac.RoleInput{Name: "nobodys"})
					return err
				},
				"UpdateRole": func(c context.Context) error {
					_, err := svc.UpdateRole(c, roleID, rbac.RoleInput{Name: "moderator"})
					return err
				},
				"DeleteRole": func(c context.Context) error { return svc.DeleteRole(c, roleID) },
				"Assign": func(c context.Context) error {
					_, err := svc.Assign(c, userID, roleID)
					return err
				},
				"Unassign": func(c context.Context) error { return svc.Unassign(c, userID, roleID) },
			}
			for name, call := range calls {
				t.Run(name, func(t *testing.T) {
					assert.ErrorIs(t, call(ctx), store.ErrUnauthenticated)
					assert.ErrorIs(t, call(store.NewContextWithActor(ctx, store.Actor{})), store.ErrUnauthenticated, "the zero actor is nobody")
				})
			}
		})
		t.Run("SystemActor", func(t *testing.T) {
			sctx := store.NewContextWithActor(ctx, store.SystemActor)
			r, err := svc.CreateRole(sctx, rbac.RoleInput{Name: "jobs", Permissions: []string{"SYSTEM_MANAGE"}})
			require.NoError(t, err)
			_, err = svc.Assign(sctx, userID, r.ID)
			require.NoError(t, err)
			require.NoError(t, svc.Unassign(sctx, userID, r.ID))
			require.NoError(t, svc.DeleteRole(sctx, r.ID))
			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "role.assign", TargetID: userID}, store.ListRequest{Limit: 1})
			require.NoError(t, err)
			rows := page.Items
			require.Len(t, rows, 1)
			assert.Empty(t, rows[0].ActorID)
			assert.Equal(t, "system", rows[0].Metadata["actor"])
		})
	})
}

// TestUserCounts: every answer that shows a role says how many hold it.
func TestUserCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		svc := newService(st)
		adminID := newUser(t, st, "admin@example.com", store.RoleAdmin, store.RoleUser)
		a := newUser(t, st, "a@example.com", store.RoleUser)
		newUser(t, st, "b@example.com", store.RoleUser)
		userRole, err := st.Roles().ByName(ctx, store.RoleUser)
		require.NoError(t, err)
		modRole, err := st.Roles().ByName(ctx, store.RoleModerator)
		require.NoError(t, err)
		counts := func(rs []rbac.RoleInfo) map[string]int {
			out := map[string]int{}
			for _, r := range rs {
				out[r.Name] = r.UserCount
			}
			return out
		}

		all, err := svc.Roles(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"admin": 1, "moderator": 0, "user": 3}, counts(all))
		one, err := svc.Role(ctx, userRole.ID)
		require.NoError(t, err)
		assert.Equal(t, 3, one.UserCount)
		held, err := svc.UserRoles(ctx, adminID)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"admin": 1, "user": 3}, counts(held))
		assigned, err := svc.Assign(as(ctx, adminID), a, modRole.ID)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"moderator": 1, "user": 3}, counts(assigned), "counts after the assignment")
	})
}
