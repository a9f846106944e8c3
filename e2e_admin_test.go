package usermgmt_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// TestAdminRoutesNeedTheirPermission runs every admin-core route without a
// token, with a signed-in user lacking the permission (403, audited as
// denied), with it, and on an unknown id (404 USER_NOT_FOUND), on both
// databases.
func TestAdminRoutesNeedTheirPermission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		target := func() string { return e.register(t, "t-"+newSuffix(t)+"@example.com") }
		routes := []struct {
			name, method, path, perm string
			body                     any
			ok                       int
		}{
			{"List", "GET", "/admin/users", "USER_READ", nil, 200},
			{"Create", "POST", "/admin/users", "USER_CREATE", map[string]any{"email": "new@example.com", "password": e2ePassword}, 201},
			{"Get", "GET", "/admin/users/{id}", "USER_READ", nil, 200},
			{"Patch", "PATCH", "/admin/users/{id}", "USER_UPDATE", map[string]any{"firstName": "Ada"}, 200},
			{"Delete", "DELETE", "/admin/users/{id}", "USER_DELETE", nil, 204},
			{"Lock", "POST", "/admin/users/{id}/lock", "USER_MANAGE", nil, 204},
			{"Unlock", "POST", "/admin/users/{id}/unlock", "USER_MANAGE", nil, 204},
			{"Suspend", "POST", "/admin/users/{id}/suspend", "USER_MANAGE", map[string]any{"reason": "spam"}, 200},
			{"Reactivate", "POST", "/admin/users/{id}/reactivate", "USER_MANAGE", nil, 200},
			{"VerifyEmail", "POST", "/admin/users/{id}/verify-email", "USER_MANAGE", nil, 200},
			{"ResetPassword", "POST", "/admin/users/{id}/reset-password", "USER_MANAGE", nil, 202},
			{"Impersonate", "POST", "/admin/users/{id}/impersonate", "ADMIN_ACCESS", nil, 200},
		}
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				id := target()
				path := func(id string) string { return replaceID(rt.path, id) }
				e2eCheckProblem(t, e.do(t, rt.method, path(id), rt.body), 401, "UNAUTHENTICATED")

				before := deniedRows(t, e.rbacEnv)
				p := e2eCheckProblem(t, e.do(t, rt.method, path(id), rt.body, e2eBearer(e.user)...), 403, "PERMISSION_DENIED")
				assert.Contains(t, p.Detail, rt.perm)
				assert.Equal(t, before+1, deniedRows(t, e.rbacEnv), "every 403 is audited as denied")

				if rt.path != path(id) {
					e2eCheckProblem(t, e.do(t, rt.method, path(missingUser), rt.body, e2eBearer(e.admin)...), 404, "USER_NOT_FOUND")
					e2eCheckProblem(t, e.do(t, rt.method, path("not-an-id"), rt.body, e2eBearer(e.admin)...), 404, "USER_NOT_FOUND")
				}
				r := e.do(t, rt.method, path(id), rt.body, e2eBearer(e.admin)...)
				assert.Equal(t, rt.ok, r.Status, r.String())
			})
		}
		t.Run("TwoFactorReset", func(t *testing.T) {
			id := target()
			path := "/admin/users/" + id + "/2fa/reset"
			e2eCheckProblem(t, e.post(t, path, nil), 401, "UNAUTHENTICATED")
			e2eCheckProblem(t, e.post(t, path, nil, e2eBearer(e.user)...), 403, "PERMISSION_DENIED")
			e2eCheckProblem(t, e.post(t, "/admin/users/"+missingUser+"/2fa/reset", nil, e2eBearer(e.admin)...), 404, "USER_NOT_FOUND")
			e2eCheckProblem(t, e.post(t, path, nil, e2eBearer(e.admin)...), 400, "MFA_NOT_ENABLED")
		})
		t.Run("ModeratorReadsAndEditsButDoesNotManage", func(t *testing.T) {
			id := target()
			assert.Equal(t, 200, e.get(t, "/admin/users", e2eBearer(e.moderator)...).Status)
			assert.Equal(t, 200, e.do(t, "PATCH", "/admin/users/"+id, map[string]any{"bio": "hi"}, e2eBearer(e.moderator)...).Status)
			e2eCheckProblem(t, e.post(t, "/admin/users/"+id+"/lock", nil, e2eBearer(e.moderator)...), 403, "PERMISSION_DENIED")
		})
	})
}

func replaceID(path, id string) string {
	return strings.Replace(path, "{id}", url.PathEscape(id), 1)
}

// TestAdminNobodyActsOnTheMorePowerful gives an account every permission
// a route needs but not all the admin holds, and checks that it can act on
// a plain user and not on the admin, on every changing route.
func TestAdminNobodyActsOnTheMorePowerful(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		_, helper := e.withRole(t, "helper@example.com", "USER_READ", "USER_UPDATE", "USER_DELETE", "USER_MANAGE", "ADMIN_ACCESS")
		routes := []struct {
			name, method, path string
			body               any
		}{
			{"Patch", "PATCH", "/admin/users/{id}", map[string]any{"firstName": "Mallory"}},
			{"Lock", "POST", "/admin/users/{id}/lock", nil},
			{"Suspend", "POST", "/admin/users/{id}/suspend", map[string]any{"reason": "takeover"}},
			{"ResetPassword", "POST", "/admin/users/{id}/reset-password", nil},
			{"Impersonate", "POST", "/admin/users/{id}/impersonate", nil},
			{"Delete", "DELETE", "/admin/users/{id}", nil},
			{"Erase", "DELETE", "/admin/users/{id}?permanent=true", nil},
		}
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				before := deniedRows(t, e.rbacEnv)
				p := e2eCheckProblem(t, e.do(t, rt.method, replaceID(rt.path, e.adminID), rt.body, e2eBearer(helper)...), 403, "PERMISSION_DENIED")
				assert.Contains(t, p.Detail, "which you do not hold")
				assert.Equal(t, before+1, deniedRows(t, e.rbacEnv), "audited as denied once")
				assert.Equal(t, store.StatusActive, e.status(t, e.adminID))
			})
		}
		// The admin is untouched: still signed in, same name.
		r := e.get(t, "/admin/users/"+e.adminID, e2eBearer(e.admin)...)
		require.Equal(t, 200, r.Status, r.String())
		assert.Nil(t, r.JSON(t)["firstName"])
		// The same account may act on a plain user.
		id := e.register(t, "plain@example.com")
		assert.Equal(t, 204, e.post(t, "/admin/users/"+id+"/lock", nil, e2eBearer(helper)...).Status)
	})
}

// newSuffix returns a short unique text for emails.
func newSuffix(t *testing.T) string {
	t.Helper()
	return strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
}
