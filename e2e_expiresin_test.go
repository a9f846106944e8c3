package usermgmt_test

import (
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
)

// TestE2EExpiresIn checks that expiresIn is the access token's lifetime,
// in whole seconds, whatever fraction of a second the clock shows: tokens
// carry whole-second iat and exp, and the time left counted from the
// clock used to round 899.3 seconds down to 899.
func TestE2EExpiresIn(t *testing.T) {
	tests := []struct {
		name     string
		fraction time.Duration
		opts     []usermgmt.Option
		want     float64
	}{
		{name: "default at a whole second", want: 900},
		{name: "default 0.3 s into a second", fraction: 300 * time.Millisecond, want: 900},
		{name: "default 0.7 s into a second", fraction: 700 * time.Millisecond, want: 900},
		{name: "default just before the next second", fraction: time.Second - time.Nanosecond, want: 900},
		{name: "ten-minute TTL", fraction: 700 * time.Millisecond, opts: []usermgmt.Option{usermgmt.WithAccessTokenTTL(10 * time.Minute)}, want: 600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			e := newTFAEnv(t, dbtest.SQLite(t), append([]usermgmt.Option{usermgmt.WithEncryptionKey(key)}, tc.opts...)...)
			e.clock.Advance(tc.fraction)

			// Login (register signs in too).
			r := e.call(t, "POST", "/auth/register", map[string]any{"email": "ada@example.com", "password": tfaPassword}, "")
			require.Equal(t, http.StatusCreated, r.Status, "%s", r)
			r = e.call(t, "POST", "/auth/login", map[string]any{"identifier": "ada@example.com", "password": tfaPassword}, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, tc.want, r.Body["expiresIn"], "login")
			access := r.Body["accessToken"].(string)

			// Refresh.
			r = e.call(t, "POST", "/auth/refresh", map[string]any{"refreshToken": r.Body["refreshToken"]}, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, tc.want, r.Body["expiresIn"], "refresh")

			// Login with a second factor.
			r = e.call(t, "POST", "/2fa/setup", map[string]any{"method": "totp"}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(r.Body["secret"].(string))
			require.NoError(t, err)
			code := func() string { return tfaHOTP(secret, uint64(e.clock.Now().Unix()/30)) }
			r = e.call(t, "POST", "/2fa/enable", map[string]any{"code": code()}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			e.clock.Advance(30 * time.Second) // each TOTP step works once
			mfa := e.challenge(t, "ada@example.com")
			r = e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": mfa, "code": code()}, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, tc.want, r.Body["expiresIn"], "2FA login")
		})
	}
}
