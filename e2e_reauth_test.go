package usermgmt_test

import (
	"context"
	"encoding/base32"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Recent authentication for enrolling a second factor over HTTP: a stolen
// access token alone must not enrol the thief's TOTP. Helpers carry a ra
// prefix.

// raSession is a signed-in client: its tokens.
type raSession struct{ access, refresh string }

// raLogin signs in with the password (the account has no 2FA).
func (e *tfaEnv) raLogin(t testing.TB, email string) raSession {
	t.Helper()
	r := e.call(t, "POST", "/auth/login", map[string]any{"identifier": email, "password": tfaPassword}, "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	return raSession{r.Body["accessToken"].(string), r.Body["refreshToken"].(string)}
}

// raRefresh rotates the session's tokens, as a client does every quarter
// hour: the session keeps its sign-in time.
func (e *tfaEnv) raRefresh(t testing.TB, s raSession) raSession {
	t.Helper()
	r := e.call(t, "POST", "/auth/refresh", map[string]any{"refreshToken": s.refresh}, "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	return raSession{r.Body["accessToken"].(string), r.Body["refreshToken"].(string)}
}

// raSecret is the TOTP secret of a setup answer.
func raSecret(t testing.TB, r *tfaResp) []byte {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(r.Body["secret"].(string))
	require.NoError(t, err)
	return secret
}

func (e *tfaEnv) raTOTP(secret []byte) string {
	return tfaHOTP(secret, uint64(e.clock.Now().Unix()/30))
}

// raDenied counts the refusals audited for the user.
func (e *tfaEnv) raDenied(t testing.TB, userID, reason string) int {
	t.Helper()
	page, err := e.m.Store().Audit().List(context.Background(),
		store.AuditFilter{Action: "auth.reauthenticate", TargetID: userID, Outcome: store.OutcomeDenied},
		store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	n := 0
	for _, r := range page.Items {
		if r.Metadata["reason"] == reason {
			n++
		}
	}
	return n
}

func TestE2ERecentAuthForTwoFactor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFAEnv(t, st)
		setup := map[string]any{"method": "totp"}
		withPassword := func(body map[string]any, pw string) map[string]any {
			out := map[string]any{"password": pw}
			for k, v := range body {
				out[k] = v
			}
			return out
		}

		t.Run("FreshSignInPasses", func(t *testing.T) {
			e.register(t, "fresh@example.com")
			s := e.raLogin(t, "fresh@example.com")
			e.clock.Advance(14 * time.Minute)
			r := e.call(t, "POST", "/2fa/setup", setup, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			r = e.call(t, "POST", "/2fa/enable", map[string]any{"code": e.raTOTP(raSecret(t, r))}, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
		})

		t.Run("OldSessionRefused", func(t *testing.T) {
			e.register(t, "old@example.com")
			id := e.userID(t, "old@example.com")
			s := e.raLogin(t, "old@example.com")
			e.clock.Advance(16 * time.Minute)
			s = e.raRefresh(t, s) // a refresh is no sign-in
			tfaProblem(t, e.call(t, "POST", "/2fa/setup", setup, s.access), 403, "REAUTHENTICATION_REQUIRED")
			assert.Equal(t, 1, e.raDenied(t, id, "reauthentication_required"), "audited as denied, once")

			// Enable is guarded as well, before its code is looked at.
			r := e.call(t, "POST", "/2fa/setup", withPassword(setup, tfaPassword), s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			code := e.raTOTP(raSecret(t, r))
			tfaProblem(t, e.call(t, "POST", "/2fa/enable", map[string]any{"code": code}, s.access), 403, "REAUTHENTICATION_REQUIRED")
			assert.Equal(t, 2, e.raDenied(t, id, "reauthentication_required"))
			st := e.call(t, "GET", "/2fa/status", nil, s.access)
			assert.Equal(t, false, st.Body["enabled"])

			t.Run("WithPasswordPasses", func(t *testing.T) {
				r := e.call(t, "POST", "/2fa/enable", map[string]any{"code": code, "password": tfaPassword}, s.access)
				require.Equal(t, http.StatusOK, r.Status, "%s", r)
				assert.Len(t, r.Body["backupCodes"], 10)
			})
		})

		t.Run("AfterStepUpPasses", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute) // a fresh per-user request window
			e.register(t, "step@example.com")
			s := e.raLogin(t, "step@example.com")
			r := e.call(t, "POST", "/2fa/setup", setup, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			secret := raSecret(t, r)
			r = e.call(t, "POST", "/2fa/enable", map[string]any{"code": e.raTOTP(secret)}, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)

			// An hour on, the user steps up, turns TOTP off and enrols
			// email instead without typing the password again.
			e.clock.Advance(time.Hour)
			s = e.raRefresh(t, s)
			// Recent authentication is checked first, before anything else
			// about the account is told.
			tfaProblem(t, e.call(t, "POST", "/2fa/setup", map[string]any{"method": "email"}, s.access), 403, "REAUTHENTICATION_REQUIRED")
			r = e.call(t, "POST", "/2fa/verify", map[string]any{"code": e.raTOTP(secret)}, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			e.clock.Advance(30 * time.Second)
			r = e.call(t, "POST", "/2fa/disable", map[string]any{"password": tfaPassword, "code": e.raTOTP(secret)}, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			sent := e.sent("step@example.com")
			r = e.call(t, "POST", "/2fa/setup", map[string]any{"method": "email"}, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			code := e.lastCode(t, "step@example.com", sent)
			r = e.call(t, "POST", "/2fa/enable", map[string]any{"code": code}, s.access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)

			e.clock.Advance(16 * time.Minute)
			s = e.raRefresh(t, s)
			r = e.call(t, "GET", "/2fa/status", nil, s.access)
			assert.Equal(t, "email", r.Body["method"])
		})

		t.Run("WrongPassword", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute)
			e.register(t, "guess@example.com")
			id := e.userID(t, "guess@example.com")
			s := e.raLogin(t, "guess@example.com")
			// Checked whenever it is sent, even on a fresh session.
			tfaProblem(t, e.call(t, "POST", "/2fa/setup", withPassword(setup, "not it"), s.access), 403, "INVALID_PASSWORD")
			tfaProblem(t, e.call(t, "POST", "/2fa/enable", map[string]any{"code": "123456", "password": "not it"}, s.access), 403, "INVALID_PASSWORD")
			assert.Equal(t, 2, e.raDenied(t, id, "invalid_password"))

			// They count toward the login lock-out, as on change-password.
			for range 3 {
				tfaProblem(t, e.call(t, "POST", "/2fa/setup", withPassword(setup, "not it"), s.access), 403, "INVALID_PASSWORD")
			}
			tfaProblem(t, e.call(t, "POST", "/2fa/setup", withPassword(setup, tfaPassword), s.access), 423, "ACCOUNT_LOCKED")
			r := e.call(t, "POST", "/auth/login", map[string]any{"identifier": "guess@example.com", "password": tfaPassword}, "")
			tfaProblem(t, r, 423, "ACCOUNT_LOCKED")
		})
	})
}

func TestE2EPrivilegedWindowOption(t *testing.T) {
	t.Run("Shorter", func(t *testing.T) {
		e := newTFAEnv(t, dbtest.SQLite(t), usermgmt.WithPrivilegedWindow(time.Minute))
		e.register(t, "ada@example.com")
		s := e.raLogin(t, "ada@example.com")
		e.clock.Advance(2 * time.Minute)
		tfaProblem(t, e.call(t, "POST", "/2fa/setup", map[string]any{"method": "totp"}, s.access), 403, "REAUTHENTICATION_REQUIRED")
	})
	for _, d := range []time.Duration{0, -time.Minute} {
		_, err := usermgmt.New(dbtest.SQLite(t), usermgmt.WithPrivilegedWindow(d))
		assert.ErrorContains(t, err, "WithPrivilegedWindow", "%v", d)
	}
}

// TestRecentAuthFromGo: the same rule for a host calling the services,
// with the actor in the context.
func TestRecentAuthFromGo(t *testing.T) {
	e := newTFAEnv(t, dbtest.SQLite(t))
	e.register(t, "ada@example.com")
	s := e.raLogin(t, "ada@example.com")
	p, err := e.m.Auth().Authenticate(context.Background(), s.access, "")
	require.NoError(t, err)
	ctx := store.NewContextWithActor(context.Background(), p.Actor())
	_, err = e.m.TwoFA().Setup(ctx, p.UserID, "", store.MethodTOTP)
	require.NoError(t, err, "fresh sign-in")

	e.clock.Advance(16 * time.Minute)
	_, err = e.m.TwoFA().Setup(ctx, p.UserID, "", store.MethodTOTP)
	assert.ErrorIs(t, err, store.ErrReauthenticationRequired)
	_, err = e.m.TwoFA().Setup(ctx, p.UserID, tfaPassword, store.MethodTOTP)
	assert.NoError(t, err, "with the password")
	_, err = e.m.TwoFA().Setup(context.Background(), p.UserID, tfaPassword, store.MethodTOTP)
	assert.ErrorIs(t, err, store.ErrUnauthenticated, "no actor")
	sys := store.NewContextWithActor(context.Background(), store.SystemActor)
	_, err = e.m.TwoFA().Setup(sys, p.UserID, "", store.MethodTOTP)
	assert.NoError(t, err, "the host's own code")
}

// TestE2ESMSNumberNeedsRecentAuth: with SMS as the second factor, the
// phone number is where the codes go, so a stolen access token must not
// move it; other profile fields need no recent sign-in.
func TestE2ESMSNumberNeedsRecentAuth(t *testing.T) {
	e := newTFAEnv(t, dbtest.SQLite(t))
	e.register(t, "sam@example.com")
	id := e.userID(t, "sam@example.com")
	sess := e.raLogin(t, "sam@example.com")
	access := sess.access
	r := e.call(t, "PATCH", "/users/profile", map[string]any{"phoneNumber": "+447700900123"}, access)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	require.Equal(t, http.StatusOK, e.call(t, "POST", "/2fa/setup", map[string]any{"method": "sms"}, access).Status)
	code := e.lastCode(t, "+447700900123", 0)
	require.Equal(t, http.StatusOK, e.call(t, "POST", "/2fa/enable", map[string]any{"code": code}, access).Status)

	e.clock.Advance(16 * time.Minute) // past the privileged window
	access = e.raRefresh(t, sess).access
	r = e.call(t, "PATCH", "/users/profile", map[string]any{"phoneNumber": "+447700900999"}, access)
	tfaProblem(t, r, http.StatusForbidden, "REAUTHENTICATION_REQUIRED")
	r = e.call(t, "PUT", "/users/profile", map[string]any{"bio": "clears the number"}, access)
	tfaProblem(t, r, http.StatusForbidden, "REAUTHENTICATION_REQUIRED")
	r = e.call(t, "PATCH", "/users/profile", map[string]any{"bio": "fine"}, access)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	r = e.call(t, "PATCH", "/users/profile", map[string]any{"phoneNumber": "+447700900999", "password": tfaPassword}, access)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "+447700900999", r.Body["phoneNumber"])
	assert.Equal(t, 2, e.raDenied(t, id, "reauthentication_required"), "each refusal audited once")
}
