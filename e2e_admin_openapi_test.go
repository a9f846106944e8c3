package usermgmt_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/httpapi"
)

// TestE2EAdminPartBMatchesOpenAPI checks real answers of the bulk, import,
// export and statistics routes against their documented schemas.
func TestE2EAdminPartBMatchesOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	require.NoError(t, err)
	e := newRBACEnv(t, nil)
	check := func(method, path string, r *e2eResp, media string) {
		t.Helper()
		require.Equal(t, http.StatusOK, r.Status, r.String())
		op := doc.Paths.Value(path).GetOperation(method)
		require.NotNil(t, op, path)
		schema := op.Responses.Status(200).Value.Content.Get(media).Schema.Value
		var v any
		require.NoError(t, json.Unmarshal(r.Body, &v))
		err := schema.VisitJSON(v)
		var me openapi3.MultiError
		if errors.As(err, &me) {
			err = errors.Join(me...)
		}
		assert.NoError(t, err, "%s %s: %s", method, path, r.Body)
	}
	check("POST", "/admin/bulk/deactivate", e.post(t, "/admin/bulk/deactivate", map[string]any{"userIds": []string{e.userID, "x"}}, e2eBearer(e.admin)...), "application/json")
	check("POST", "/admin/bulk/assign-role", e.post(t, "/admin/bulk/assign-role", map[string]any{"userIds": []string{e.userID}, "roleId": e.moderatorRole}, e2eBearer(e.admin)...), "application/json")
	check("POST", "/admin/users/import", e.post(t, "/admin/users/import", map[string]any{"users": []map[string]any{{"email": "n@example.com"}, {"email": "bad"}}}, e2eBearer(e.admin)...), "application/json")
	check("GET", "/admin/users/export", e.get(t, "/admin/users/export?format=json", e2eBearer(e.admin)...), "application/json")
	check("GET", "/admin/dashboard", e.get(t, "/admin/dashboard", e2eBearer(e.admin)...), "application/json")
	check("GET", "/admin/users/stats", e.get(t, "/admin/users/stats", e2eBearer(e.admin)...), "application/json")
}
