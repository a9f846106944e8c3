package usermgmt_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// e2eProfileFields are the profile fields of API.md, exactly.
var e2eProfileFields = []string{
	"id", "email", "pendingEmail", "emailVerified", "username", "firstName", "lastName", "displayName",
	"phoneNumber", "bio", "location", "website", "avatarUrl", "visibility", "status", "roles",
	"twoFactorEnabled", "createdAt", "updatedAt", "lastLoginAt",
}

// e2eCheckUser asserts the wire shape of a user: every profile field
// present (null when empty), nothing else, no password hash anywhere.
func e2eCheckUser(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var u map[string]any
	require.NoError(t, json.Unmarshal(raw, &u), "%s", raw)
	var keys []string
	for k := range u {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := append([]string(nil), e2eProfileFields...)
	sort.Strings(want)
	assert.Equal(t, want, keys, "user fields")
	lower := strings.ToLower(string(raw))
	assert.NotContains(t, lower, "password")
	assert.NotContains(t, lower, "hash")
	for _, prefix := range []string{"$2a$", "$2b$", "$argon2"} {
		assert.NotContains(t, string(raw), prefix)
	}
	id, err := uuid.Parse(u["id"].(string))
	if assert.NoError(t, err) {
		assert.Equal(t, uuid.Version(7), id.Version(), "UUIDv7")
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		s, _ := u[k].(string)
		ts, err := time.Parse(time.RFC3339Nano, s)
		if assert.NoError(t, err, k) {
			assert.True(t, strings.HasSuffix(s, "Z"), "%s %q in UTC", k, s)
			assert.Equal(t, time.UTC, ts.Location())
		}
	}
	return u
}

// TestE2EFlow walks a user through sign-up, verification, login, password
// reset and change with the mail going through a real SMTP exchange.
func TestE2EFlow(t *testing.T) {
	e := newE2E(t, nil)
	const email = "ada@example.com"
	newPassword := "quiet-meadow-compass-77"

	// Register.
	r := e.post(t, "/auth/register", map[string]any{"email": " Ada@Example.com", "password": e2ePassword, "firstName": "Ada"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r)
	assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"))
	e2eCheckHeaders(t, r)
	u := e2eCheckUser(t, r.Body)
	userID := u["id"].(string)
	assert.Equal(t, email, u["email"], "email normalised")
	assert.Equal(t, "Ada", u["firstName"])
	assert.Equal(t, false, u["emailVerified"])
	assert.Equal(t, "active", u["status"])
	assert.Equal(t, "public", u["visibility"])
	assert.Equal(t, []any{"user"}, u["roles"])
	assert.Equal(t, false, u["twoFactorEnabled"])
	for _, k := range []string{"pendingEmail", "username", "lastName", "displayName", "phoneNumber", "bio", "location", "website", "avatarUrl", "lastLoginAt"} {
		assert.Nil(t, u[k], "%s is null", k)
	}

	// The verification mail; its link works against the server.
	m := e.mail.next(t, email, "Confirm your email address", 10*time.Second)
	assert.Equal(t, "no-reply@example.com", m.From)
	_, link := e.linkToken(t, m)
	lu, err := url.Parse(link)
	require.NoError(t, err)
	assert.Equal(t, "/api/v1/auth/verify-email", lu.Path)
	r = e.get(t, link)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.JSONEq(t, `{"emailVerified":true}`, string(r.Body))
	assert.NotContains(t, string(r.Body), "Token", "verification answers no tokens")

	// Login.
	r = e.post(t, "/auth/login", map[string]any{"identifier": email, "password": e2ePassword, "deviceName": "Laptop"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	e2eCheckHeaders(t, r)
	var body struct {
		e2eTokens
		RawUser json.RawMessage `json:"user"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	tk := body.e2eTokens
	require.NoError(t, json.Unmarshal(r.Body, &tk))
	assert.NotEmpty(t, tk.AccessToken)
	assert.NotEmpty(t, tk.RefreshToken)
	assert.Equal(t, "Bearer", tk.TokenType)
	assert.Equal(t, 900, tk.ExpiresIn)
	lu2 := e2eCheckUser(t, body.RawUser)
	assert.Equal(t, userID, lu2["id"])
	assert.Equal(t, true, lu2["emailVerified"])
	assert.NotNil(t, lu2["lastLoginAt"])

	// Profile.
	r = e.get(t, "/users/profile", e2eBearer(tk.AccessToken)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	p := e2eCheckUser(t, r.Body)
	assert.Equal(t, userID, p["id"])
	assert.Equal(t, true, p["emailVerified"])
	assert.Equal(t, []any{"user"}, p["roles"])

	// Refresh answers a new pair, not cacheable.
	r = e.post(t, "/auth/refresh", map[string]any{"refreshToken": tk.RefreshToken})
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	require.NoError(t, json.Unmarshal(r.Body, &tk))
	assert.Equal(t, 900, tk.ExpiresIn)

	// Forgot password, for the account and for nobody: the same answer.
	known := e.post(t, "/auth/forgot-password", map[string]any{"email": email})
	require.Equal(t, http.StatusAccepted, known.Status, "%s", known)
	reset := e.mail.next(t, email, "Reset your password", 10*time.Second)
	token, _ := e.linkToken(t, reset)
	assert.True(t, strings.HasPrefix(reset.Links()[0], "https://app.example.com/reset-password?token="), reset.Links()[0])

	r = e.post(t, "/auth/reset-password", map[string]any{"token": token, "newPassword": newPassword})
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	e.mail.next(t, email, "Your password was changed", 10*time.Second)

	// Every session is gone: refresh and access tokens are refused.
	e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": tk.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
	r = e.get(t, "/users/profile", e2eBearer(tk.AccessToken)...)
	e2eCheckProblem(t, r, 401, "UNAUTHENTICATED")
	assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"))
	// The reset link is spent.
	e2eCheckProblem(t, e.post(t, "/auth/reset-password", map[string]any{"token": token, "newPassword": "third-password-xyz-9"}), 400, "INVALID_TOKEN")

	// The old password is refused, the new one works.
	e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": email, "password": e2ePassword}), 401, "INVALID_CREDENTIALS")
	a := e.login(t, email, newPassword)
	b := e.login(t, email, newPassword)

	// Change password: a wrong current one is a 403, not a dead session.
	r = e.post(t, "/auth/change-password", map[string]any{"currentPassword": e2ePassword, "newPassword": "third-password-xyz-9"}, e2eBearer(a.AccessToken)...)
	e2eCheckProblem(t, r, 403, "INVALID_PASSWORD")
	assert.Empty(t, r.Header.Get("WWW-Authenticate"))
	// The right one changes it and revokes the other sessions only.
	r = e.post(t, "/auth/change-password", map[string]any{"currentPassword": newPassword, "newPassword": "third-password-xyz-9"}, e2eBearer(a.AccessToken)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, http.StatusOK, e.get(t, "/users/profile", e2eBearer(a.AccessToken)...).Status)
	e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(b.AccessToken)...), 401, "UNAUTHENTICATED")
	e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": b.RefreshToken}), 401, "INVALID_REFRESH_TOKEN")
	r = e.post(t, "/auth/refresh", map[string]any{"refreshToken": a.RefreshToken})
	assert.Equal(t, http.StatusOK, r.Status, "%s", r)
	e.mail.next(t, email, "Your password was changed", 10*time.Second)

	// Forgot password for an unknown address: the identical answer and no
	// mail. A known address asked afterwards shows the background work ran.
	const ghost = "ghost@example.com"
	unknown := e.post(t, "/auth/forgot-password", map[string]any{"email": ghost})
	assert.Equal(t, known.Status, unknown.Status)
	assert.Equal(t, string(known.Body), string(unknown.Body))
	assert.Equal(t, known.Header.Get("Content-Type"), unknown.Header.Get("Content-Type"))
	require.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": email}).Status)
	e.mail.next(t, email, "Reset your password", 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, e.mail.to(ghost), "no mail to an unknown address")

	// Resend-verification answers alike for a verified, an unknown and an
	// unverified account, and mails only the last.
	const fresh = "fresh@example.com"
	e.register(t, fresh)
	e.mail.next(t, fresh, "Confirm your email address", 10*time.Second)
	var bodies []string
	for _, addr := range []string{email, ghost, fresh} {
		r := e.post(t, "/auth/resend-verification", map[string]any{"email": addr})
		assert.Equal(t, http.StatusAccepted, r.Status, "%s", r)
		bodies = append(bodies, string(r.Body))
	}
	assert.Equal(t, bodies[0], bodies[1])
	assert.Equal(t, bodies[0], bodies[2])
	m = e.mail.next(t, fresh, "Confirm your email address", 10*time.Second)
	_, link = e.linkToken(t, m)
	r = e.get(t, link)
	assert.Equal(t, http.StatusOK, r.Status, "%s", r)
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, e.mail.to(ghost))
	assert.Equal(t, 0, e.mail.countSubject(email, "Confirm your email address")-1, "a verified address gets no new link")
}

// TestE2EPasswordNormalization signs in with the same password typed in
// another Unicode normal form (macOS input methods and some browsers send
// NFD), which NIST SP 800-63B says to accept.
func TestE2EPasswordNormalization(t *testing.T) {
	e := newE2E(t, nil)
	const email = "unicode@example.com"
	r := e.post(t, "/auth/register", map[string]any{"email": email, "password": "caf\u00e9-lantern-harbour"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r)
	e.login(t, email, "cafe\u0301-lantern-harbour")
}
