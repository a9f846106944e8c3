package usermgmt_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/store"
)

func e2eB64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// e2eJWT splits a compact JWS into its decoded header and payload and its
// three raw parts.
func e2eJWT(t *testing.T, token string) (hdr, claims map[string]any, parts []string) {
	t.Helper()
	parts = strings.Split(token, ".")
	require.Len(t, parts, 3)
	for i, dst := range []*map[string]any{&hdr, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, dst))
	}
	return hdr, claims, parts
}

// e2eJWKS fetches the API's key set.
func e2eJWKS(t *testing.T, e *e2eEnv) []map[string]any {
	t.Helper()
	r := e.get(t, "/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &set))
	require.NotEmpty(t, set.Keys)
	return set.Keys
}

func e2eClone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestE2ETokenAttacks presents forged, tampered, misused and dead access
// tokens to GET /users/profile.
func TestE2ETokenAttacks(t *testing.T) {
	e := newE2E(t, nil, usermgmt.WithRateLimits(httpapi.Limits{}))
	const email, victim = "mallory@example.com", "victim@example.com"
	e.register(t, email)
	victimID := e.register(t, victim)
	tk := e.login(t, email, e2ePassword)
	require.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(tk.AccessToken)...).Status)

	hdr, claims, parts := e2eJWT(t, tk.AccessToken)
	keys := e2eJWKS(t, e)
	x, err := base64.RawURLEncoding.DecodeString(keys[0]["x"].(string))
	require.NoError(t, err)
	jwksBody := e.get(t, "/.well-known/jwks.json").Body
	_, attacker, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	hs256 := func(key []byte, h, c map[string]any) string {
		h = e2eClone(h)
		h["alg"] = "HS256"
		in := e2eB64JSON(t, h) + "." + e2eB64JSON(t, c)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	edSign := func(key ed25519.PrivateKey, h, c map[string]any) string {
		in := e2eB64JSON(t, h) + "." + e2eB64JSON(t, c)
		return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(in)))
	}
	with := func(m map[string]any, kv ...any) map[string]any {
		c := e2eClone(m)
		for i := 0; i < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	none := func(alg string) string { return e2eB64JSON(t, with(hdr, "alg", alg)) + "." + parts[1] }

	other := newE2E(t, nil, usermgmt.WithRateLimits(httpapi.Limits{}))
	other.register(t, email)
	foreign := other.login(t, email, e2ePassword)

	attacks := []struct{ name, token string }{
		{"AlgNoneEmptySig", none("none") + "."},
		{"AlgNoneTwoParts", none("none")},
		{"AlgNoneOrigSig", none("none") + "." + parts[2]},
		{"AlgNoneCase", none("None") + "."},
		{"AlgNONE", none("NONE") + "."},
		{"HS256PublicKeyBytes", hs256(x, hdr, claims)},
		{"HS256PublicKeyBase64", hs256([]byte(keys[0]["x"].(string)), hdr, claims)},
		{"HS256JWKSDocument", hs256(jwksBody, hdr, claims)},
		{"AlgES256", e2eB64JSON(t, with(hdr, "alg", "ES256")) + "." + parts[1] + "." + parts[2]},
		{"TamperedSub", parts[0] + "." + e2eB64JSON(t, with(claims, "sub", victimID)) + "." + parts[2]},
		{"TamperedExp", parts[0] + "." + e2eB64JSON(t, with(claims, "exp", time.Now().Add(48*time.Hour).Unix())) + "." + parts[2]},
		{"TamperedRoles", parts[0] + "." + e2eB64JSON(t, with(claims, "roles", []string{"admin"})) + "." + parts[2]},
		{"TruncatedSig", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4]},
		{"EmptySig", parts[0] + "." + parts[1] + "."},
		{"AttackerKeyKnownKid", edSign(attacker, hdr, with(claims, "sub", victimID))},
		{"AttackerKeyOwnKid", edSign(attacker, with(hdr, "kid", "attacker"), claims)},
		{"EmbeddedJWK", edSign(attacker, with(hdr, "jwk", map[string]any{"kty": "OKP", "crv": "Ed25519",
			"x": base64.RawURLEncoding.EncodeToString(attacker.Public().(ed25519.PublicKey))}), claims)},
		{"JKU", edSign(attacker, with(hdr, "jku", "https://evil.example.com/jwks.json"), claims)},
		{"NoKid", edSign(attacker, with(hdr, "kid", nil), claims)},
		{"OtherManagersToken", foreign.AccessToken},
		{"RefreshTokenAsBearer", tk.RefreshToken},
		{"TabInToken", parts[0] + ".\t" + parts[1] + "." + parts[2]},
		{"PaddedBase64", parts[0] + "==." + parts[1] + "." + parts[2]},
		{"Huge", strings.Repeat("A", 9000) + "." + parts[1] + "." + parts[2]},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			r := e.get(t, "/users/profile", "Authorization", "Bearer "+a.token)
			e2eCheckProblem(t, r, 401, "UNAUTHENTICATED")
			assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"))
			assert.NotContains(t, string(r.Body), victimID)
		})
	}
	// The genuine token still works after all that.
	require.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(tk.AccessToken)...).Status)

	t.Run("SuspendedAfterLogin", func(t *testing.T) {
		// Default staleness (5 s): refused once the bound has passed.
		const addr = "suspend-me@example.com"
		id := e.register(t, addr)
		s := e.login(t, addr, e2ePassword)
		require.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(s.AccessToken)...).Status)
		e2eSuspend(t, e.m, id)
		e.clock.Advance(6 * time.Second)
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(s.AccessToken)...), 401, "UNAUTHENTICATED")
		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": s.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
		e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": addr, "password": e2ePassword}), 403, "ACCOUNT_SUSPENDED")
		// A wrong password says nothing about the status.
		e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": addr, "password": "wrong-password-1"}), 401, "INVALID_CREDENTIALS")
	})

	t.Run("SuspendedNoStaleness", func(t *testing.T) {
		e0 := newE2E(t, nil, usermgmt.WithSessionStaleness(0), usermgmt.WithRateLimits(httpapi.Limits{}))
		const addr = "suspend-now@example.com"
		id := e0.register(t, addr)
		s := e0.login(t, addr, e2ePassword)
		require.Equal(t, http.StatusOK, e0.get(t, "/users/profile", e2eBearer(s.AccessToken)...).Status)
		e2eSuspend(t, e0.m, id)
		e2eCheckProblem(t, e0.get(t, "/users/profile", e2eBearer(s.AccessToken)...), 401, "UNAUTHENTICATED")
		r := e0.get(t, e0.srv.URL+"/orders", e2eBearer(s.AccessToken)...)
		assert.Equal(t, http.StatusUnauthorized, r.Status, "host route: %s", r)
	})

	t.Run("AfterLogout", func(t *testing.T) {
		s := e.login(t, email, e2ePassword)
		require.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(s.AccessToken)...).Status)
		r := e.post(t, "/auth/logout", map[string]any{"refreshToken": s.RefreshToken})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r)
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(s.AccessToken)...), 401, "UNAUTHENTICATED")
		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": s.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
		// Other sessions live on.
		assert.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(tk.AccessToken)...).Status)
	})

	t.Run("RefreshReuseRevokesSession", func(t *testing.T) {
		first := e.login(t, email, e2ePassword)
		r := e.post(t, "/auth/refresh", map[string]any{"refreshToken": first.RefreshToken})
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		var second e2eTokens
		require.NoError(t, json.Unmarshal(r.Body, &second))
		assert.NotEqual(t, first.RefreshToken, second.RefreshToken)
		require.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(second.AccessToken)...).Status)
		// The spent token comes back: a thief or a twin. The session dies.
		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": first.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": second.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(second.AccessToken)...), 401, "UNAUTHENTICATED")
	})

	t.Run("Fingerprint", func(t *testing.T) {
		const fp = "device-7f3a"
		s := e.login(t, email, e2ePassword, "X-Device-Fingerprint", fp)
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(s.AccessToken)...), 401, "UNAUTHENTICATED")
		e2eCheckProblem(t, e.get(t, "/users/profile", append(e2eBearer(s.AccessToken), "X-Device-Fingerprint", "other")...), 401, "UNAUTHENTICATED")
		assert.Equal(t, http.StatusOK, e.get(t, "/users/profile", append(e2eBearer(s.AccessToken), "X-Device-Fingerprint", fp)...).Status)

		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": s.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": s.RefreshToken}, "X-Device-Fingerprint", "other"), 401, "INVALID_REFRESH_TOKEN")
		// A refused refresh spent nothing.
		r := e.post(t, "/auth/refresh", map[string]any{"refreshToken": s.RefreshToken}, "X-Device-Fingerprint", fp)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		var next e2eTokens
		require.NoError(t, json.Unmarshal(r.Body, &next))
		// The new pair is bound too.
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(next.AccessToken)...), 401, "UNAUTHENTICATED")
		assert.Equal(t, http.StatusOK, e.get(t, "/users/profile", append(e2eBearer(next.AccessToken), "X-Device-Fingerprint", fp)...).Status)
	})

	// Last: moves the clock past every token's life.
	t.Run("Expired", func(t *testing.T) {
		s := e.login(t, email, e2ePassword)
		require.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(s.AccessToken)...).Status)
		e.clock.Advance(15*time.Minute + 31*time.Second) // TTL plus the 30 s leeway
		r := e.get(t, "/users/profile", e2eBearer(s.AccessToken)...)
		e2eCheckProblem(t, r, 401, "TOKEN_EXPIRED")
		assert.Contains(t, r.Header.Get("WWW-Authenticate"), "invalid_token")
		// A forged token is still UNAUTHENTICATED, not TOKEN_EXPIRED.
		e2eCheckProblem(t, e.get(t, "/users/profile", "Authorization", "Bearer "+hs256(x, hdr, claims)), 401, "UNAUTHENTICATED")
		// The refresh token outlives the access token, but not its own TTL.
		r = e.post(t, "/auth/refresh", map[string]any{"refreshToken": s.RefreshToken})
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		var next e2eTokens
		require.NoError(t, json.Unmarshal(r.Body, &next))
		e.clock.Advance(7*24*time.Hour + time.Second)
		e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": next.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
	})
}

// e2eSuspend suspends a user directly in the store, as an admin tool
// would, without telling the Manager.
func e2eSuspend(t *testing.T, m *usermgmt.Manager, id string) {
	t.Helper()
	ctx := context.Background()
	_, err := m.Store().Users().Update(ctx, id, func(u *store.User) error {
		u.Status, u.SuspendedReason = store.StatusSuspended, "e2e"
		return nil
	})
	require.NoError(t, err)
}
