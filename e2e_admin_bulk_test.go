package usermgmt_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestE2EAdminBulkRoutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		const unknown = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
		routes := []struct {
			name, path, perm string
			body             map[string]any
		}{
			{"AssignRole", "/admin/bulk/assign-role", "ROLE_ASSIGN", map[string]any{"userIds": []string{e.userID, unknown}, "roleId": e.moderatorRole}},
			{"Deactivate", "/admin/bulk/deactivate", "USER_MANAGE", map[string]any{"userIds": []string{e.userID, unknown}}},
			{"Activate", "/admin/bulk/activate", "USER_MANAGE", map[string]any{"userIds": []string{e.userID, unknown}}},
			{"Delete", "/admin/bulk/delete", "USER_DELETE", map[string]any{"userIds": []string{e.userID, unknown}}},
		}
		for _, rt := range routes {
			t.Run(rt.name, func(t *testing.T) {
				e2eCheckProblem(t, e.post(t, rt.path, rt.body), 401, "UNAUTHENTICATED")
				before := deniedRows(t, e)
				p := e2eCheckProblem(t, e.post(t, rt.path, rt.body, e2eBearer(e.moderator)...), 403, "PERMISSION_DENIED")
				assert.Contains(t, p.Detail, rt.perm)
				assert.Equal(t, before+1, deniedRows(t, e), "every 403 is audited as denied")

				r := e.post(t, rt.path, rt.body, e2eBearer(e.admin)...)
				require.Equal(t, http.StatusOK, r.Status, r.String())
				e2eCheckHeaders(t, r)
				assert.JSONEq(t, `{"succeeded":1,"failed":[{"id":"`+unknown+`","code":"USER_NOT_FOUND"}]}`, string(r.Body))
			})
		}
	})
}

func TestE2EAdminBulkRevokesAtOnce(t *testing.T) {
	e := newRBACEnv(t, nil)
	assert.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(e.user)...).Status)
	r := e.post(t, "/admin/bulk/deactivate", map[string]any{"userIds": []string{e.userID}}, e2eBearer(e.admin)...)
	require.Equal(t, http.StatusOK, r.Status, r.String())
	e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(e.user)...), 401, "UNAUTHENTICATED")
}

func TestE2EAdminBulkLastAdmin(t *testing.T) {
	e := newRBACEnv(t, nil)
	r := e.post(t, "/admin/bulk/deactivate", map[string]any{"userIds": []string{e.adminID, e.userID}}, e2eBearer(e.admin)...)
	require.Equal(t, http.StatusOK, r.Status, r.String())
	assert.JSONEq(t, `{"succeeded":1,"failed":[{"id":"`+e.adminID+`","code":"LAST_ADMIN"}]}`, string(r.Body))
	assert.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(e.admin)...).Status, "the admin is still signed in")
}

func TestE2EAdminBulkBadInput(t *testing.T) {
	e := newRBACEnv(t, nil)
	tooMany := make([]string, 10001)
	for i := range tooMany {
		tooMany[i] = e.userID
	}
	big, err := json.Marshal(map[string]any{"userIds": tooMany})
	require.NoError(t, err)
	tests := []struct {
		name, path string
		body       any
		status     int
		code       string
		fields     []string
	}{
		{"NoIDs", "/admin/bulk/deactivate", map[string]any{}, 400, "VALIDATION_FAILED", []string{"userIds"}},
		{"EmptyIDs", "/admin/bulk/activate", map[string]any{"userIds": []string{}}, 400, "VALIDATION_FAILED", []string{"userIds"}},
		{"WrongType", "/admin/bulk/delete", map[string]any{"userIds": "x"}, 400, "VALIDATION_FAILED", []string{"userIds"}},
		{"UnknownField", "/admin/bulk/delete", map[string]any{"userIds": []string{e.userID}, "force": true}, 400, "VALIDATION_FAILED", []string{"force"}},
		{"TooMany", "/admin/bulk/delete", e2eRaw(big), 400, "VALIDATION_FAILED", []string{"userIds"}},
		{"Malformed", "/admin/bulk/delete", e2eRaw(`{"userIds":[`), 400, "MALFORMED_JSON", nil},
		{"NoRole", "/admin/bulk/assign-role", map[string]any{"userIds": []string{e.userID}}, 400, "VALIDATION_FAILED", []string{"roleId"}},
		{"UnknownRole", "/admin/bulk/assign-role", map[string]any{"userIds": []string{e.userID}, "roleId": "nope"}, 404, "ROLE_NOT_FOUND", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e2eCheckProblem(t, e.post(t, tc.path, tc.body, e2eBearer(e.admin)...), tc.status, tc.code)
			if tc.fields != nil {
				assert.Equal(t, tc.fields, p.Fields())
			}
		})
	}
}
