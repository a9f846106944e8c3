package usermgmt_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EJWKS checks that the published keys verify the access tokens,
// at the mount and at the site root.
func TestE2EJWKS(t *testing.T) {
	e := newE2E(t, nil)
	e.register(t, "keys@example.com")
	tk := e.login(t, "keys@example.com", e2ePassword)
	hdr, _, parts := e2eJWT(t, tk.AccessToken)

	api := e.get(t, "/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, api.Status, "%s", api)
	assert.True(t, strings.HasPrefix(api.Header.Get("Content-Type"), "application/json"))
	keys := e2eJWKS(t, e)
	var signer map[string]any
	for _, k := range keys {
		assert.NotEmpty(t, k["kid"], "kid")
		assert.NotEmpty(t, k["alg"], "alg")
		assert.NotEmpty(t, k["kty"], "kty")
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			assert.NotContains(t, k, private, "JWKS publishes no private or symmetric key material")
		}
		if k["kid"] == hdr["kid"] {
			signer = k
		}
	}
	require.NotNil(t, signer, "the token's kid %v is published", hdr["kid"])
	assert.Equal(t, hdr["alg"], signer["alg"])

	// The published key verifies the token's signature.
	if signer["kty"] == "OKP" {
		x, err := base64.RawURLEncoding.DecodeString(signer["x"].(string))
		require.NoError(t, err)
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		require.NoError(t, err)
		assert.True(t, ed25519.Verify(x, []byte(parts[0]+"."+parts[1]), sig), "signature verifies with the JWKS key")
	}

	root := e.get(t, e.srv.URL+"/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, root.Status, "%s", root)
	assert.True(t, strings.HasPrefix(root.Header.Get("Content-Type"), "application/json"))
	assert.JSONEq(t, string(api.Body), string(root.Body), "m.JWKSHandler serves the same keys")
	// One implementation serves both: the same headers too.
	assert.Equal(t, "public, max-age=300", api.Header.Get("Cache-Control"))
	assert.Equal(t, api.Header.Get("Cache-Control"), root.Header.Get("Cache-Control"))
	assert.Equal(t, api.Header.Get("Content-Type"), root.Header.Get("Content-Type"))
}

// TestE2ERequireAuth protects a host route with m.RequireAuth.
func TestE2ERequireAuth(t *testing.T) {
	e := newE2E(t, nil)
	id := e.register(t, "host@example.com")
	tk := e.login(t, "host@example.com", e2ePassword)
	orders := e.srv.URL + "/orders"

	refused := func(t *testing.T, r *e2eResp, code string) {
		t.Helper()
		require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r)
		assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		var p e2eProblem
		require.NoError(t, json.Unmarshal(r.Body, &p), "%s", r.Body)
		assert.Equal(t, code, p.Code)
		assert.Equal(t, 401, p.Status)
		assert.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer"))
		assert.NotContains(t, string(r.Body), id)
	}
	t.Run("NoToken", func(t *testing.T) { refused(t, e.get(t, orders), "UNAUTHENTICATED") })
	t.Run("Garbage", func(t *testing.T) { refused(t, e.get(t, orders, "Authorization", "Bearer x.y.z"), "UNAUTHENTICATED") })
	t.Run("RefreshToken", func(t *testing.T) { refused(t, e.get(t, orders, e2eBearer(tk.RefreshToken)...), "UNAUTHENTICATED") })

	t.Run("Token", func(t *testing.T) {
		r := e.get(t, orders, e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		got := r.JSON(t)
		assert.Equal(t, id, got["userId"])
		assert.NotEmpty(t, got["sessionId"])
		assert.Equal(t, []any{"user"}, got["roles"])
	})

	t.Run("AfterLogout", func(t *testing.T) {
		s := e.login(t, "host@example.com", e2ePassword)
		require.Equal(t, http.StatusOK, e.get(t, orders, e2eBearer(s.AccessToken)...).Status)
		require.Equal(t, http.StatusNoContent, e.post(t, "/auth/logout", map[string]any{"refreshToken": s.RefreshToken}).Status)
		refused(t, e.get(t, orders, e2eBearer(s.AccessToken)...), "UNAUTHENTICATED")
	})

	t.Run("Expired", func(t *testing.T) {
		e.clock.Advance(16 * time.Minute)
		refused(t, e.get(t, orders, e2eBearer(tk.AccessToken)...), "TOKEN_EXPIRED")
	})
}
