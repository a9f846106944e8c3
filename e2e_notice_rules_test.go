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
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// TestE2ESecurityNotices walks every security event a user can cause,
// with in-app notices and security alerts on, and with both off, and
// checks the notices and the security mail each leaves.
func TestE2ESecurityNotices(t *testing.T) {
	for _, d := range dbtest.Dialects {
		for _, on := range []bool{true, false} {
			name := map[bool]string{true: "PreferencesOn", false: "PreferencesOff"}[on]
			// A store each: the test closes its Manager to wait for mail.
			t.Run(d+"/"+name, func(t *testing.T) { securityNotices(t, dbtest.Open(t, d), on) })
		}
	}
}

func securityNotices(t *testing.T, st store.Store, on bool) {
	e := newE2E(t, st, usermgmt.WithRateLimits(httpapi.Limits{}))
	addr := map[bool]string{true: "on@example.com", false: "off@example.com"}[on]
	id := e.register(t, addr)
	ua := func(s string) []string { return []string{"User-Agent", s} }
	first := e.login(t, addr, e2ePassword, ua("Mozilla/5.0 Firefox/120.0")...)
	prefs := e.do(t, http.MethodPut, "/users/preferences", map[string]any{
		"notifications": map[string]any{"email": true, "inApp": on, "securityAlerts": on}}, e2eBearer(first.AccessToken)...)
	require.Equal(t, http.StatusOK, prefs.Status, prefs.String())

	e.login(t, addr, e2ePassword, ua("Mozilla/5.0 Firefox/121.0.1")...) // an update, not a new device
	tk := e.login(t, addr, e2ePassword, ua("Mozilla/5.0 Chrome/126.0")...)
	e.login(t, addr, e2ePassword, append(ua("Mozilla/5.0 Chrome/126.0"), "X-Device-Fingerprint", "device-1")...)
	e.login(t, addr, e2ePassword, append(ua("Mozilla/5.0 Chrome/127.0"), "X-Device-Fingerprint", "device-1")...)
	bearer := e2eBearer(tk.AccessToken)

	newPassword := "second-fine-password-8"
	r := e.post(t, "/auth/change-password", map[string]any{"currentPassword": e2ePassword, "newPassword": newPassword}, bearer...)
	require.Equal(t, http.StatusOK, r.Status, r.String())

	r = e.post(t, "/2fa/setup", map[string]any{"method": "totp"}, bearer...)
	require.Equal(t, http.StatusOK, r.Status, r.String())
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(r.JSON(t)["secret"].(string))
	require.NoError(t, err)
	code := func() string { return tfaHOTP(secret, uint64(e.clock.Now().Unix()/30)) }
	r = e.post(t, "/2fa/enable", map[string]any{"code": code()}, bearer...)
	require.Equal(t, http.StatusOK, r.Status, r.String())
	e.clock.Advance(31 * time.Second) // a fresh code
	r = e.post(t, "/2fa/disable", map[string]any{"password": newPassword, "code": code()}, bearer...)
	require.Equal(t, http.StatusOK, r.Status, r.String())

	r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "new-" + addr}, bearer...)
	require.Equal(t, http.StatusOK, r.Status, r.String())
	_, link := e.linkToken(t, e.mail.next(t, "new-"+addr, "Confirm your new email address", 10*time.Second))
	require.Equal(t, http.StatusOK, e.get(t, link).Status)

	require.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": "new-" + addr}).Status)
	token, _ := e.linkToken(t, e.mail.next(t, "new-"+addr, "Reset your password", 10*time.Second))
	r = e.post(t, "/auth/reset-password", map[string]any{"token": token, "newPassword": "third-fine-password-9"})
	require.Equal(t, http.StatusOK, r.Status, r.String())

	page, err := st.Notifications().List(context.Background(), id, store.NotificationFilter{}, store.ListRequest{Limit: 100})
	require.NoError(t, err)
	var types []string
	for _, n := range page.Items {
		types = append(types, n.Type)
		assert.NotContains(t, n.Body, addr, "notices hold no email address")
	}
	if !on {
		assert.Empty(t, types, "in-app notices are off")
	} else {
		assert.ElementsMatch(t, []string{notify.TypeNewDevice, notify.TypeNewDevice, notify.TypePasswordChanged,
			notify.Type2FAEnabled, notify.Type2FADisabled, notify.TypeEmailChanged, notify.TypePasswordReset}, types)
	}

	e.drain(t) // the mail goes out through the outbox
	want := map[string]int{"New sign-in to your account": 2, "Two-factor authentication turned on": 1,
		"Two-factor authentication turned off": 1, "Your email address is being changed": 1}
	for subject, n := range want {
		if !on {
			n = 0
		}
		assert.Equal(t, n, e.mail.countSubject(addr, subject)+e.mail.countSubject("new-"+addr, subject), subject)
	}
	changed := e.mail.countSubject(addr, "Your password was changed") + e.mail.countSubject("new-"+addr, "Your password was changed")
	assert.Equal(t, map[bool]int{true: 2, false: 0}[on], changed, "the change and the reset")
}
