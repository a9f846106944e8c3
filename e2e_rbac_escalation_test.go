package usermgmt_test

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

// TestE2ERoleEscalation replays the attack catalogue's role findings: a
// role manager holding every ROLE_ permission and USER_READ, but nothing
// else, tries to widen the built-in roles and to strip, rename, delete,
// assign and remove a role stronger than itself. Each is refused (403
// PERMISSION_DENIED or 422 BUILTIN_ROLE), audited as denied exactly once
// when it is a 403, and changes nothing.
func TestE2ERoleEscalation(t *testing.T) {
	e := newRBACEnv(t, nil)
	ctx := context.Background()
	st := e.m.Store()
	managerRole := &store.Role{Name: "role-manager", CreatedAt: time.Now(), UpdatedAt: time.Now(),
		Permissions: []string{"ROLE_ASSIGN", "ROLE_CREATE", "ROLE_DELETE", "ROLE_READ", "ROLE_UPDATE", "USER_READ"}}
	require.NoError(t, st.Roles().Create(ctx, managerRole))
	managerID := e.register(t, "manager@example.com")
	require.NoError(t, st.Roles().Assign(ctx, managerID, managerRole.ID, time.Now()))
	manager := e.login(t, "manager@example.com", e2ePassword).AccessToken

	deleters := &store.Role{Name: "deleters", Permissions: []string{"USER_DELETE", "USER_READ"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, st.Roles().Create(ctx, deleters))
	require.NoError(t, st.Roles().Assign(ctx, e.moderatorID, deleters.ID, time.Now()))
	unused := &store.Role{Name: "unused", Permissions: []string{"USER_DELETE"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, st.Roles().Create(ctx, unused))

	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"WidenUserWithHeldPermission", "PUT", "/roles/" + e.userRole,
			map[string]any{"name": "user", "permissions": []string{"ROLE_UPDATE", "USER_READ"}}, 422, "BUILTIN_ROLE"},
		{"WidenUserWithLackedPermission", "PUT", "/roles/" + e.userRole,
			map[string]any{"name": "user", "permissions": []string{"SYSTEM_MANAGE"}}, 403, "PERMISSION_DENIED"},
		{"ChangeModerator", "PUT", "/roles/" + e.moderatorRole,
			map[string]any{"name": "moderator", "permissions": []string{"USER_READ"}}, 403, "PERMISSION_DENIED"},
		{"CreateStronger", "POST", "/roles",
			map[string]any{"name": "escalate", "permissions": []string{"USER_DELETE"}}, 403, "PERMISSION_DENIED"},
		{"StripStronger", "PUT", "/roles/" + deleters.ID,
			map[string]any{"name": "deleters", "permissions": []string{"USER_READ"}}, 403, "PERMISSION_DENIED"},
		{"RenameStronger", "PUT", "/roles/" + deleters.ID,
			map[string]any{"name": "harmless", "permissions": []string{"USER_DELETE", "USER_READ"}}, 403, "PERMISSION_DENIED"},
		{"DeleteStronger", "DELETE", "/roles/" + unused.ID, nil, 403, "PERMISSION_DENIED"},
		{"AssignStronger", "POST", "/roles/user/" + e.userID + "/assign", map[string]any{"roleId": deleters.ID}, 403, "PERMISSION_DENIED"},
		{"AssignAdmin", "POST", "/roles/user/" + managerID + "/assign", map[string]any{"roleId": e.adminRole}, 403, "PERMISSION_DENIED"},
		{"UnassignStronger", "DELETE", "/roles/user/" + e.moderatorID + "/" + deleters.ID, nil, 403, "PERMISSION_DENIED"},
		{"UnassignModerator", "DELETE", "/roles/user/" + e.moderatorID + "/" + e.moderatorRole, nil, 403, "PERMISSION_DENIED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := roleSnapshot(t, e)
			denied := deniedRows(t, e)
			e2eCheckProblem(t, e.do(t, tc.method, tc.path, tc.body, e2eBearer(manager)...), tc.status, tc.code)
			want := denied
			if tc.status == http.StatusForbidden {
				want++
			}
			assert.Equal(t, want, deniedRows(t, e), "a 403 is audited as denied exactly once")
			assert.Equal(t, before, roleSnapshot(t, e), "nothing changed")
		})
	}

	t.Run("NewSignUpsHoldNothing", func(t *testing.T) {
		e.register(t, "newcomer@example.com")
		tok := e.login(t, "newcomer@example.com", e2ePassword).AccessToken
		e2eCheckProblem(t, e.get(t, "/roles", e2eBearer(tok)...), 403, "PERMISSION_DENIED")
		body := e.get(t, "/roles/"+e.userRole, e2eBearer(e.admin)...).JSON(t)
		assert.Equal(t, []any{}, body["permissions"])
	})
	t.Run("AdminToo", func(t *testing.T) {
		// Not even an admin widens the built-in roles; descriptions may change.
		e2eCheckProblem(t, e.do(t, "PUT", "/roles/"+e.userRole, map[string]any{"name": "user", "permissions": []string{"USER_READ"}}, e2eBearer(e.admin)...), 422, "BUILTIN_ROLE")
		e2eCheckProblem(t, e.do(t, "PUT", "/roles/"+e.moderatorRole, map[string]any{"name": "moderator", "permissions": []string{"USER_READ", "USER_UPDATE"}}, e2eBearer(e.admin)...), 422, "BUILTIN_ROLE")
		r := e.do(t, "PUT", "/roles/"+e.userRole, map[string]any{"name": "user", "description": "Everyone", "permissions": []string{}}, e2eBearer(e.admin)...)
		require.Equal(t, 200, r.Status, r.String())
		assert.Equal(t, "Everyone", r.JSON(t)["description"])
	})
	t.Run("WithinOwnPermissions", func(t *testing.T) {
		// The manager still manages roles no stronger than itself.
		r := e.post(t, "/roles", map[string]any{"name": "readers", "permissions": []string{"USER_READ"}}, e2eBearer(manager)...)
		require.Equal(t, 201, r.Status, r.String())
		id := r.JSON(t)["id"].(string)
		r = e.do(t, "PUT", "/roles/"+id, map[string]any{"name": "readers", "permissions": []string{"ROLE_READ", "USER_READ"}}, e2eBearer(manager)...)
		require.Equal(t, 200, r.Status, r.String())
		require.Equal(t, 200, e.post(t, "/roles/user/"+e.userID+"/assign", map[string]any{"roleId": id}, e2eBearer(manager)...).Status)
		require.Equal(t, 204, e.do(t, "DELETE", "/roles/user/"+e.userID+"/"+id, nil, e2eBearer(manager)...).Status)
		require.Equal(t, 204, e.do(t, "DELETE", "/roles/"+id, nil, e2eBearer(manager)...).Status)
	})
}

// roleSnapshot is every role's name, permissions and holders, from the store.
func roleSnapshot(t *testing.T, e *rbacEnv) map[string]string {
	t.Helper()
	ctx := context.Background()
	roles, err := e.m.Store().Roles().List(ctx)
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range roles {
		n, err := e.m.Store().Roles().CountUsers(ctx, r.ID)
		require.NoError(t, err)
		perms := append([]string(nil), r.Permissions...)
		sort.Strings(perms)
		out[r.ID] = r.Name + "|" + r.Description + "|" + strings.Join(perms, ",") + "|" + strconv.Itoa(n)
	}
	return out
}

// TestE2ERoleUserCounts: every answer that shows a role says how many
// users hold it, the user's roles and the assign answer included.
func TestE2ERoleUserCounts(t *testing.T) {
	e := newRBACEnv(t, nil)
	counts := func(body map[string]any) map[string]any {
		out := map[string]any{}
		for _, it := range body["items"].([]any) {
			r := it.(map[string]any)
			out[r["name"].(string)] = r["userCount"]
		}
		return out
	}
	// Three sign-ups hold user; one admin; one moderator.
	assert.Equal(t, map[string]any{"admin": 1.0, "moderator": 1.0, "user": 3.0},
		counts(e.get(t, "/roles", e2eBearer(e.admin)...).JSON(t)))
	assert.EqualValues(t, 3, e.get(t, "/roles/"+e.userRole, e2eBearer(e.admin)...).JSON(t)["userCount"])
	assert.Equal(t, map[string]any{"admin": 1.0, "user": 3.0},
		counts(e.get(t, "/roles/user/"+e.adminID, e2eBearer(e.admin)...).JSON(t)))
	r := e.post(t, "/roles/user/"+e.userID+"/assign", map[string]any{"roleId": e.moderatorRole}, e2eBearer(e.admin)...)
	require.Equal(t, 200, r.Status, r.String())
	assert.Equal(t, map[string]any{"moderator": 2.0, "user": 3.0}, counts(r.JSON(t)), "counts after the assignment")
}

// TestManagerRBACActorFromContext calls the service from Go as a host
// does: the actor comes from the context and is what the audit row names.
func TestManagerRBACActorFromContext(t *testing.T) {
	e := newRBACEnv(t, nil)
	ctx := context.Background()
	rows := func(action, target string) []store.AuditEntry {
		t.Helper()
		page, err := e.m.Store().Audit().List(ctx, store.AuditFilter{Action: action, TargetID: target}, store.ListRequest{Limit: 1})
		require.NoError(t, err)
		return page.Items
	}
	t.Run("Actor", func(t *testing.T) {
		roles, err := e.m.RBAC().Assign(store.NewContextWithActor(ctx, store.Actor{UserID: e.adminID}), e.userID, e.moderatorRole)
		require.NoError(t, err)
		assert.NotEmpty(t, roles)
		rs := rows("role.assign", e.userID)
		require.Len(t, rs, 1)
		assert.Equal(t, e.adminID, rs[0].ActorID)
		assert.Empty(t, rs[0].ImpersonatorID)
	})
	t.Run("Impersonator", func(t *testing.T) {
		actx := store.NewContextWithActor(ctx, store.Actor{UserID: e.adminID, ImpersonatorID: e.moderatorID})
		require.NoError(t, e.m.RBAC().Unassign(actx, e.userID, e.moderatorRole))
		rs := rows("role.unassign", e.userID)
		require.Len(t, rs, 1)
		assert.Equal(t, e.adminID, rs[0].ActorID)
		assert.Equal(t, e.moderatorID, rs[0].ImpersonatorID)
	})
	t.Run("NoActor", func(t *testing.T) {
		_, err := e.m.RBAC().Assign(ctx, e.userID, e.moderatorRole)
		assert.ErrorIs(t, err, store.ErrUnauthenticated)
	})
	t.Run("SystemActor", func(t *testing.T) {
		_, err := e.m.RBAC().Assign(store.NewContextWithActor(ctx, store.SystemActor), e.userID, e.adminRole)
		require.NoError(t, err)
		rs := rows("role.assign", e.userID)
		require.Len(t, rs, 1)
		assert.Empty(t, rs[0].ActorID)
		assert.Equal(t, "system", rs[0].Metadata["actor"])
	})
	t.Run("DeniedFromGoIsAudited", func(t *testing.T) {
		before := deniedRows(t, e)
		_, err := e.m.RBAC().Assign(store.NewContextWithActor(ctx, store.Actor{UserID: e.moderatorID}), e.moderatorID, e.adminRole)
		assert.ErrorIs(t, err, store.ErrPermissionDenied)
		assert.Equal(t, before+1, deniedRows(t, e))
	})
}
