package rbac_test

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

func TestService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		var changed []string
		svc := rbac.New(st, audit.New(st, func() time.Time { return fixed }), func() time.Time { return fixed },
			func(id string) { changed = append(changed, id) })
		admin := newUser(t, st, "admin@example.com", store.RoleAdmin)
		mod := newUser(t, st, "mod@example.com", store.RoleModerator)
		plain := newUser(t, st, "user@example.com", store.RoleUser)

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
					_, err := svc.CreateRole(ctx, mod, tc.in)
					assert.ErrorIs(t, err, tc.err)
				})
			}
		})

		t.Run("CreateDeduplicatesAndSorts", func(t *testing.T) {
			r, err := svc.CreateRole(ctx, mod, rbac.RoleInput{Name: "helpers", Permissions: []string{"USER_UPDATE", "USER_READ", "USER_READ"}})
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
			roles, err := svc.Assign(ctx, admin, plain, helpers.ID)
			require.NoError(t, err)
			assert.Len(t, roles, 2)
			assert.Equal(t, []string{plain}, changed, "caches hear of the change")
			ok, err := svc.Can(ctx, plain, rbac.UserUpdate)
			require.NoError(t, err)
			assert.True(t, ok)
			require.NoError(t, svc.Unassign(ctx, admin, plain, helpers.ID))
			assert.ErrorIs(t, svc.Unassign(ctx, admin, plain, helpers.ID), store.ErrRoleNotFound)
			_, err = svc.Assign(ctx, plain, plain, helpers.ID)
			assert.ErrorIs(t, err, store.ErrPermissionDenied, "nobody grants what they lack")
		})

		t.Run("LastAdmin", func(t *testing.T) {
			adminRole, err := st.Roles().ByName(ctx, store.RoleAdmin)
			require.NoError(t, err)
			assert.ErrorIs(t, svc.Unassign(ctx, admin, admin, adminRole.ID), store.ErrLastAdmin)
			err = st.InTx(ctx, func(tx store.Repos) error { return rbac.LastAdminGuard(ctx, tx, plain) })
			assert.NoError(t, err, "not an admin: nothing to guard")
		})

		t.Run("BuiltIns", func(t *testing.T) {
			userRole, err := st.Roles().ByName(ctx, store.RoleUser)
			require.NoError(t, err)
			assert.ErrorIs(t, svc.DeleteRole(ctx, userRole.ID), store.ErrBuiltinRole)
			_, err = svc.UpdateRole(ctx, admin, userRole.ID, rbac.RoleInput{Name: "users"})
			assert.ErrorIs(t, err, store.ErrBuiltinRole)
		})
	})
}
