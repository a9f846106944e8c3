package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/httpapi"
)

// The 2FA routes' own checks, before any service is called: the signed-in
// ones need a bearer token, and the public ones read their body strictly.
// The flows themselves are tested end to end in the root package.
func TestTwoFARoutes(t *testing.T) {
	srv := openapiServer(t)
	post := func(path, body string, hdr ...string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+"/api/v1"+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(raw, &doc), "%s", raw)
		return res.StatusCode, doc
	}

	t.Run("BearerRequired", func(t *testing.T) {
		routes := httpapi.Routes(openapiHandler(t))
		n := 0
		for _, rt := range routes {
			if !strings.HasPrefix(rt.Path, "/2fa/") {
				continue
			}
			n++
			assert.Equal(t, "bearer", rt.Auth, rt.Path)
			req, err := http.NewRequest(rt.Method, srv.URL+"/api/v1"+rt.Path, strings.NewReader(`{}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			res, err := srv.Client().Do(req)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode, rt.Method+" "+rt.Path)
			assert.Equal(t, "Bearer", res.Header.Get("WWW-Authenticate"))
		}
		assert.Equal(t, 8, n, "the /2fa routes")
	})

	t.Run("LoginBodies", func(t *testing.T) {
		for _, path := range []string{"/auth/login/2fa", "/auth/login/2fa/send"} {
			status, doc := post(path, `{"mfaToken":1,"unknown":true}`)
			assert.Equal(t, http.StatusBadRequest, status, path)
			assert.Equal(t, "VALIDATION_FAILED", doc["code"], path)
			assert.Len(t, doc["errors"], 2, path)

			status, doc = post(path, `not json`)
			assert.Equal(t, http.StatusBadRequest, status, path)
			assert.Equal(t, "MALFORMED_JSON", doc["code"], path)
		}
	})
}
