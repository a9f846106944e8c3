package usermgmt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// rbacEnv is an environment with an admin, a moderator and a plain user,
// each signed in.
type rbacEnv struct {
	*e2eEnv
	admin, moderator, user             string // access tokens
	adminID, moderatorID, userID       string
	adminRole, moderatorRole, userRole string // role ids
}

func newRBACEnv(t *testing.T, st store.Store, opts ...usermgmt.Option) *rbacEnv {
	t.Helper()
	opts = append([]usermgmt.Option{usermgmt.WithRateLimits(httpapi.Limits{})}, opts...)
	e := &rbacEnv{e2eEnv: newE2E(t, st, opts...)}
	ctx := context.Background()
	s := e.m.Store()
	for name, id := range map[string]*string{store.RoleAdmin: &e.adminRole, store.RoleModerator: &e.moderatorRole, store.RoleUser: &e.userRole} {
		r, err := s.Roles().ByName(ctx, name)
		require.NoError(t, err)
		*id = r.ID
	}
	e.adminID = e.register(t, "admin@example.com")
	e.moderatorID = e.register(t, "mod@example.com")
	e.userID = e.register(t, "user@example.com")
	require.NoError(t, s.Roles().Assign(ctx, e.adminID, e.adminRole, time.Now()))
	require.NoError(t, s.Roles().Assign(ctx, e.moderatorID, e.moderatorRole, time.Now()))
	e.admin = e.login(t, "admin@example.com", e2ePassword).AccessToken
	e.moderator = e.login(t, "mod@example.com", e2ePassword).AccessToken
	e.user = e.login(t, "user@example.com", e2ePassword).AccessToken
	return e
}

func TestE2ERolesNeedTheirPermission(t *testing.T) {
	e := newRBACEnv(t, nil)
	custom := e.post(t, "/roles", map[string]any{"name": "support", "description": "Helps", "permissions": []string{"USER_READ"}}, e2eBearer(e.admin)...)
	require.Equal(t, http.StatusCreated, custom.Status, custom.String())
	customID := custom.JSON(t)["id"].(string)

	routes := []struct {
		name, method, path string
		body               any
		perm               string
		okStatus           int
	}{
		{"ListRoles", "GET", "/roles", nil, "ROLE_READ", 200},
		{"ListPermissions", "GET", "/roles/permissions", nil, "ROLE_READ", 200},
		{"GetRole", "GET", "/roles/" + customID, nil, "ROLE_READ", 200},
		{"CreateRole", "POST", "/roles", map[string]any{"name": "auditor", "permissions": []string{"AUDIT_READ"}}, "ROLE_CREATE", 201},
		{"UpdateRole", "PUT", "/roles/" + customID, map[string]any{"name": "support", "description": "Helps more", "permissions": []string{"USER_READ"}}, "ROLE_UPDATE", 200},
		{"UserRoles", "GET", "/roles/user/" + e.userID, nil, "USER_READ", 200},
		{"Assign", "POST", "/roles/user/" + e.userID + "/assign", map[string]any{"roleId": customID}, "ROLE_ASSIGN", 200},
		{"Unassign", "DELETE", "/roles/user/" + e.userID + "/" + customID, nil, "ROLE_ASSIGN", 204},
		{"DeleteRole", "DELETE", "/roles/" + customID, nil, "ROLE_DELETE", 204},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			t.Run("NoToken", func(t *testing.T) {
				e2eCheckProblem(t, e.do(t, rt.method, rt.path, rt.body), 401, "UNAUTHENTICATED")
			})
			t.Run("Without"+rt.perm, func(t *testing.T) {
				before := deniedRows(t, e)
				p := e2eCheckProblem(t, e.do(t, rt.method, rt.path, rt.body, e2eBearer(e.user)...), 403, "PERMISSION_DENIED")
				assert.Contains(t, p.Detail, rt.perm)
				assert.Equal(t, before+1, deniedRows(t, e), "every 403 is audited as denied")
			})
			t.Run("With"+rt.perm, func(t *testing.T) {
				r := e.do(t, rt.method, rt.path, rt.body, e2eBearer(e.admin)...)
				assert.Equal(t, rt.okStatus, r.Status, r.String())
			})
		})
	}
	t.Run("ModeratorReadsUsersNotRoles", func(t *testing.T) {
		assert.Equal(t, 200, e.get(t, "/roles/user/"+e.userID, e2eBearer(e.moderator)...).Status)
		e2eCheckProblem(t, e.get(t, "/roles", e2eBearer(e.moderator)...), 403, "PERMISSION_DENIED")
	})
}

func deniedRows(t *testing.T, e *rbacEnv) int {
	t.Helper()
	n, err := e.m.Store().Audit().Count(context.Background(), store.AuditFilter{Outcome: store.OutcomeDenied})
	require.NoError(t, err)
	return n
}

func TestE2ERoleShapesAndLists(t *testing.T) {
	e := newRBACEnv(t, nil)
	t.Run("Permissions", func(t *testing.T) {
		body := e.get(t, "/roles/permissions?includeTotal=true", e2eBearer(e.admin)...).JSON(t)
		items := body["items"].([]any)
		assert.Len(t, items, 14)
		assert.EqualValues(t, 14, body["total"])
		assert.Nil(t, body["nextCursor"])
		first := items[0].(map[string]any)
		assert.NotEmpty(t, first["name"])
		assert.NotEmpty(t, first["description"])
	})
	t.Run("RolesWithUserCount", func(t *testing.T) {
		body := e.get(t, "/roles?sort=name", e2eBearer(e.admin)...).JSON(t)
		var names []string
		for _, it := range body["items"].([]any) {
			r := it.(map[string]any)
			names = append(names, r["name"].(string))
			if r["name"] == "user" {
				assert.EqualValues(t, 3, r["userCount"])
				assert.Equal(t, true, r["builtIn"])
			}
			for _, k := range []string{"id", "name", "description", "permissions", "builtIn", "userCount"} {
				assert.Contains(t, r, k)
			}
		}
		assert.Equal(t, []string{"admin", "moderator", "user"}, names)
		_, hasTotal := body["total"]
		assert.False(t, hasTotal, "total only when asked for")
	})
	t.Run("Paging", func(t *testing.T) {
		body := e.get(t, "/roles/permissions?limit=5", e2eBearer(e.admin)...).JSON(t)
		assert.Len(t, body["items"], 5)
		cursor, ok := body["nextCursor"].(string)
		require.True(t, ok)
		next := e.get(t, "/roles/permissions?limit=5&cursor="+cursor, e2eBearer(e.admin)...).JSON(t)
		assert.NotEqual(t, body["items"].([]any)[0], next["items"].([]any)[0])
		page3 := e.get(t, "/roles/permissions?limit=5&page=3", e2eBearer(e.admin)...).JSON(t)
		assert.Len(t, page3["items"], 4)
		assert.EqualValues(t, 14, page3["total"])
	})
	for _, bad := range []struct{ query, field string }{
		{"limit=101", "limit"}, {"limit=0", "limit"}, {"limit=x", "limit"}, {"page=0", "page"},
		{"sort=password", "sort"}, {"cursor=abc", "cursor"}, {"cursor=abc&page=2", "cursor"},
	} {
		t.Run("Bad_"+bad.query, func(t *testing.T) {
			p := e2eCheckProblem(t, e.get(t, "/roles?"+bad.query, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.Contains(t, p.Fields(), bad.field)
		})
	}
}

func TestE2ERoleRules(t *testing.T) {
	e := newRBACEnv(t, nil)
	ctx := context.Background()
	// A role manager who may create, update and assign roles but holds
	// nothing else.
	managerRole := &store.Role{Name: "role-manager", Permissions: []string{"ROLE_ASSIGN", "ROLE_CREATE", "ROLE_READ", "ROLE_UPDATE", "USER_READ"},
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, e.m.Store().Roles().Create(ctx, managerRole))
	managerID := e.register(t, "manager@example.com")
	require.NoError(t, e.m.Store().Roles().Assign(ctx, managerID, managerRole.ID, time.Now()))
	manager := e.login(t, "manager@example.com", e2ePassword).AccessToken

	t.Run("CannotCreateRoleWithMorePermissions", func(t *testing.T) {
		r := e.post(t, "/roles", map[string]any{"name": "escalate", "permissions": []string{"USER_DELETE"}}, e2eBearer(manager)...)
		e2eCheckProblem(t, r, 403, "PERMISSION_DENIED")
		_, err := e.m.Store().Roles().ByName(ctx, "escalate")
		assert.ErrorIs(t, err, store.ErrRoleNotFound, "nothing written")
	})
	t.Run("CanCreateWithinOwnPermissions", func(t *testing.T) {
		r := e.post(t, "/roles", map[string]any{"name": "reader", "permissions": []string{"USER_READ"}}, e2eBearer(manager)...)
		assert.Equal(t, 201, r.Status, r.String())
	})
	t.Run("CannotAssignAdmin", func(t *testing.T) {
		r := e.post(t, "/roles/user/"+managerID+"/assign", map[string]any{"roleId": e.adminRole}, e2eBearer(manager)...)
		e2eCheckProblem(t, r, 403, "PERMISSION_DENIED")
		roles, err := e.m.Store().Roles().RolesOf(ctx, managerID)
		require.NoError(t, err)
		assert.Len(t, roles, 2)
	})
	t.Run("CannotWidenOwnRole", func(t *testing.T) {
		r := e.do(t, "PUT", "/roles/"+managerRole.ID, map[string]any{"name": "role-manager",
			"permissions": []string{"ROLE_ASSIGN", "ROLE_CREATE", "ROLE_READ", "ROLE_UPDATE", "USER_READ", "SYSTEM_MANAGE"}}, e2eBearer(manager)...)
		e2eCheckProblem(t, r, 403, "PERMISSION_DENIED")
	})
	t.Run("UnknownPermission", func(t *testing.T) {
		p := e2eCheckProblem(t, e.post(t, "/roles", map[string]any{"name": "x1", "permissions": []string{"GOD_MODE"}}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
		assert.Contains(t, p.Fields(), "permissions")
	})
	t.Run("NameTakenAnyCase", func(t *testing.T) {
		e2eCheckProblem(t, e.post(t, "/roles", map[string]any{"name": "READER", "permissions": []string{}}, e2eBearer(e.admin)...), 409, "ROLE_EXISTS")
	})
	t.Run("BuiltInRolesKeepTheirIdentity", func(t *testing.T) {
		e2eCheckProblem(t, e.do(t, "DELETE", "/roles/"+e.userRole, nil, e2eBearer(e.admin)...), 422, "BUILTIN_ROLE")
		e2eCheckProblem(t, e.do(t, "PUT", "/roles/"+e.moderatorRole, map[string]any{"name": "mods", "permissions": []string{}}, e2eBearer(e.admin)...), 422, "BUILTIN_ROLE")
		e2eCheckProblem(t, e.do(t, "PUT", "/roles/"+e.adminRole, map[string]any{"name": "admin", "permissions": []string{"USER_READ"}}, e2eBearer(e.admin)...), 422, "BUILTIN_ROLE")
		r := e.do(t, "PUT", "/roles/"+e.moderatorRole, map[string]any{"name": "moderator", "description": "Keeps order", "permissions": []string{"AUDIT_READ", "USER_READ", "USER_UPDATE"}}, e2eBearer(e.admin)...)
		assert.Equal(t, 200, r.Status, "a description change is fine: %s", r)
	})
	t.Run("RoleInUse", func(t *testing.T) {
		e2eCheckProblem(t, e.do(t, "DELETE", "/roles/"+managerRole.ID, nil, e2eBearer(e.admin)...), 409, "ROLE_IN_USE")
	})
	t.Run("NotFound", func(t *testing.T) {
		e2eCheckProblem(t, e.get(t, "/roles/"+"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", e2eBearer(e.admin)...), 404, "ROLE_NOT_FOUND")
		e2eCheckProblem(t, e.get(t, "/roles/nope", e2eBearer(e.admin)...), 404, "ROLE_NOT_FOUND")
		e2eCheckProblem(t, e.post(t, "/roles/user/"+e.userID+"/assign", map[string]any{"roleId": "nope"}, e2eBearer(e.admin)...), 404, "ROLE_NOT_FOUND")
		e2eCheckProblem(t, e.post(t, "/roles/user/nope/assign", map[string]any{"roleId": e.userRole}, e2eBearer(e.admin)...), 404, "USER_NOT_FOUND")
		e2eCheckProblem(t, e.get(t, "/roles/user/nope", e2eBearer(e.admin)...), 404, "USER_NOT_FOUND")
	})
	t.Run("RemovedRoleStopsWorking", func(t *testing.T) {
		require.Equal(t, 200, e.get(t, "/roles", e2eBearer(manager)...).Status)
		r := e.do(t, "DELETE", "/roles/user/"+managerID+"/"+managerRole.ID, nil, e2eBearer(e.admin)...)
		require.Equal(t, 204, r.Status, r.String())
		e2eCheckProblem(t, e.get(t, "/roles", e2eBearer(manager)...), 403, "PERMISSION_DENIED")
	})
	t.Run("AuditRows", func(t *testing.T) {
		require.Equal(t, 200, e.post(t, "/roles/user/"+e.userID+"/assign", map[string]any{"roleId": e.moderatorRole}, e2eBearer(e.admin)...).Status)
		for _, action := range []string{"role.create", "role.update", "role.assign", "role.unassign"} {
			n, err := e.m.Store().Audit().Count(ctx, store.AuditFilter{Action: action})
			require.NoError(t, err)
			assert.Positive(t, n, action)
		}
	})
}

// TestE2ELastAdmin demotes the only two admins at the same moment. The
// caller holds every permission through a custom role, so both demotions
// pass the permission check and only the last-admin rule can stop one.
func TestE2ELastAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		ctx := context.Background()
		all := make([]string, 0, 14)
		for _, p := range rbac.Permissions() {
			all = append(all, string(p.Name))
		}
		root := &store.Role{Name: "root", Permissions: all, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		require.NoError(t, st.Roles().Create(ctx, root))
		rootID := e.register(t, "root@example.com")
		require.NoError(t, st.Roles().Assign(ctx, rootID, root.ID, time.Now()))
		rootToken := e.login(t, "root@example.com", e2ePassword).AccessToken
		second := e.register(t, "admin2@example.com")
		require.NoError(t, st.Roles().Assign(ctx, second, e.adminRole, time.Now()))

		admins := []string{e.adminID, second}
		res := e2eParallel(t, 2, func(i int) (*e2eResp, error) {
			return e.send("DELETE", "/roles/user/"+admins[i]+"/"+e.adminRole, nil, e2eBearer(rootToken)...)
		})
		assert.ElementsMatch(t, []int{204, 422}, []int{res[0].Status, res[1].Status}, "%s / %s", res[0], res[1])
		for _, r := range res {
			if r.Status == 422 {
				e2eCheckProblem(t, r, 422, "LAST_ADMIN")
			}
		}
		n, err := st.Roles().CountUsers(ctx, e.adminRole)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "exactly one admin is left")
	})
}

func TestE2ESessions(t *testing.T) {
	e := newRBACEnv(t, nil)
	other := e.login(t, "user@example.com", e2ePassword, "User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1")
	third := e.login(t, "user@example.com", e2ePassword)

	list := e.get(t, "/sessions", e2eBearer(e.user)...).JSON(t)
	items := list["items"].([]any)
	require.Len(t, items, 3)
	var current, iphone int
	var otherID string
	for _, it := range items {
		s := it.(map[string]any)
		for _, k := range []string{"id", "deviceName", "ip", "userAgent", "createdAt", "lastSeenAt", "current"} {
			assert.Contains(t, s, k)
		}
		if s["current"] == true {
			current++
		}
		if s["deviceName"] == "Safari on iPhone" {
			iphone++
			otherID = s["id"].(string)
		}
	}
	assert.Equal(t, 1, current)
	assert.Equal(t, 1, iphone)

	t.Run("AnotherUsersSessionIs404", func(t *testing.T) {
		e2eCheckProblem(t, e.do(t, "DELETE", "/sessions/"+otherID, nil, e2eBearer(e.admin)...), 404, "SESSION_NOT_FOUND")
		e2eCheckProblem(t, e.do(t, "DELETE", "/sessions/nope", nil, e2eBearer(e.admin)...), 404, "SESSION_NOT_FOUND")
		assert.Equal(t, 200, e.get(t, "/users/profile", e2eBearer(other.AccessToken)...).Status)
	})
	t.Run("RevokeOne", func(t *testing.T) {
		assert.Equal(t, 204, e.do(t, "DELETE", "/sessions/"+otherID, nil, e2eBearer(e.user)...).Status)
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(other.AccessToken)...), 401, "UNAUTHENTICATED")
		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": other.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
		e2eCheckProblem(t, e.do(t, "DELETE", "/sessions/"+otherID, nil, e2eBearer(e.user)...), 404, "SESSION_NOT_FOUND")
	})
	t.Run("RevokeAllButCurrent", func(t *testing.T) {
		body := e.post(t, "/sessions/revoke-all", nil, e2eBearer(e.user)...).JSON(t)
		assert.EqualValues(t, 1, body["revoked"])
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(third.AccessToken)...), 401, "UNAUTHENTICATED")
		assert.Equal(t, 200, e.get(t, "/users/profile", e2eBearer(e.user)...).Status, "the current session stays")
	})
}

// TestE2ERevocationAcrossInstances revokes a session through one Manager
// and checks that a second Manager on the same PostgreSQL, as another
// process (it hears none of the first one's changes), refuses its access
// token once the staleness bound has passed.
func TestE2ERevocationAcrossInstances(t *testing.T) {
	st := dbtest.Postgres(t)
	a := newRBACEnv(t, st)
	b := newE2E(t, dbtest.OtherProcess(st), usermgmt.WithClock(a.clock.Now)) // same database, same keys, same clock
	tk := a.login(t, "user@example.com", e2ePassword)
	require.Equal(t, 200, b.get(t, "/users/profile", e2eBearer(tk.AccessToken)...).Status, "b knows the session")

	require.Equal(t, 200, a.post(t, "/sessions/revoke-all", nil, e2eBearer(a.user)...).Status)
	assert.Equal(t, 401, a.get(t, "/users/profile", e2eBearer(tk.AccessToken)...).Status, "the revoking instance refuses at once")
	assert.Equal(t, 200, b.get(t, "/users/profile", e2eBearer(tk.AccessToken)...).Status, "within the staleness bound")
	a.clock.Advance(5*time.Second + time.Millisecond)
	e2eCheckProblem(t, b.get(t, "/users/profile", e2eBearer(tk.AccessToken)...), 401, "UNAUTHENTICATED")

	t.Run("RoleRemovalAcrossInstances", func(t *testing.T) {
		require.Equal(t, 200, b.get(t, "/roles", e2eBearer(a.admin)...).Status)
		second := a.register(t, "admin2@example.com")
		require.NoError(t, st.Roles().Assign(context.Background(), second, a.adminRole, time.Now()))
		r := a.do(t, "DELETE", "/roles/user/"+a.adminID+"/"+a.adminRole, nil, e2eBearer(a.admin)...)
		require.Equal(t, 204, r.Status, r.String())
		assert.Equal(t, 200, b.get(t, "/roles", e2eBearer(a.admin)...).Status, "within the staleness bound")
		a.clock.Advance(5*time.Second + time.Millisecond)
		e2eCheckProblem(t, b.get(t, "/roles", e2eBearer(a.admin)...), 403, "PERMISSION_DENIED")
	})
}

func TestHostRequirePermission(t *testing.T) {
	e := newRBACEnv(t, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /reports", e.m.RequirePermission(rbac.AuditRead)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("GET /users/{id}/orders", e.m.RequireSelfOr(rbac.UserRead, func(r *http.Request) string { return r.PathValue("id") })(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	srv := newHostServer(t, mux)
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"NoToken", "/reports", "", 401},
		{"Lacks", "/reports", e.user, 403},
		{"Holds", "/reports", e.moderator, 204},
		{"Self", "/users/" + e.userID + "/orders", e.user, 204},
		{"OtherWithoutPermission", "/users/" + e.moderatorID + "/orders", e.user, 403},
		{"OtherWithPermission", "/users/" + e.userID + "/orders", e.moderator, 204},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv+tc.path, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, tc.status, res.StatusCode)
			if tc.status >= 400 {
				assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			}
		})
	}
}

func newHostServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestE2ERBACBadInput sends each body-taking /roles and /sessions route the
// usual malformed bodies; every one answers its problem, nothing more.
func TestE2ERBACBadInput(t *testing.T) {
	e := newRBACEnv(t, nil)
	routes := []struct{ method, path string }{
		{"POST", "/roles"},
		{"PUT", "/roles/" + e.userRole},
		{"POST", "/roles/user/" + e.userID + "/assign"},
	}
	bodies := []struct {
		name        string
		body        any
		contentType string
		status      int
		code        string
		field       string
	}{
		{"Malformed", e2eRaw(`{"name":`), "application/json", 400, "MALFORMED_JSON", ""},
		{"Empty", e2eRaw(``), "application/json", 400, "MALFORMED_JSON", ""},
		{"Array", e2eRaw(`[]`), "application/json", 400, "MALFORMED_JSON", ""},
		{"UnknownField", map[string]any{"name": "x-role", "builtIn": true}, "application/json", 400, "VALIDATION_FAILED", "builtIn"},
		{"WrongType", map[string]any{"name": 5, "roleId": 5}, "application/json", 400, "VALIDATION_FAILED", "name|roleId"},
		{"WrongContentType", e2eRaw(`{"name":"x"}`), "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", ""},
	}
	for _, rt := range routes {
		for _, b := range bodies {
			t.Run(rt.method+rt.path+"/"+b.name, func(t *testing.T) {
				r := e.do(t, rt.method, rt.path, b.body, append(e2eBearer(e.admin), "Content-Type", b.contentType)...)
				p := e2eCheckProblem(t, r, b.status, b.code)
				if b.field == "" {
					return
				}
				found := false
				for _, f := range p.Fields() {
					found = found || strings.Contains("|"+b.field+"|", "|"+f+"|")
				}
				assert.True(t, found, "errors name %s: %v", b.field, p.Fields())
			})
		}
	}
	t.Run("AssignWithoutRoleID", func(t *testing.T) {
		p := e2eCheckProblem(t, e.post(t, "/roles/user/"+e.userID+"/assign", map[string]any{}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
		assert.Equal(t, []string{"roleId"}, p.Fields())
	})
	t.Run("SessionsBadList", func(t *testing.T) {
		p := e2eCheckProblem(t, e.get(t, "/sessions?limit=500", e2eBearer(e.user)...), 400, "VALIDATION_FAILED")
		assert.Equal(t, []string{"limit"}, p.Fields())
	})
}
