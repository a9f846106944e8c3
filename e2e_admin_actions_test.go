package usermgmt_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func (e *adminEnv) loginProblem(t *testing.T, email, password string, status int, code string) {
	t.Helper()
	e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": email, "password": password}), status, code)
}

func TestAdminLockAndUnlock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		path := "/admin/users/" + e.userID
		require.Equal(t, 204, e.post(t, path+"/lock", nil, e2eBearer(e.admin)...).Status)
		assert.Equal(t, store.StatusLocked, e.status(t, e.userID))
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(e.user)...), 401, "UNAUTHENTICATED")
		e.loginProblem(t, "user@example.com", e2ePassword, 423, "ACCOUNT_LOCKED")
		e.loginProblem(t, "user@example.com", "wrong-password-1", 401, "INVALID_CREDENTIALS")
		e2eCheckProblem(t, e.post(t, path+"/lock", nil, e2eBearer(e.admin)...), 409, "CONFLICT")
		require.Len(t, e.events(t, store.EventUserDeactivated, e.userID), 1)
		assert.Contains(t, e.notices(t, e.userID), "account.locked")
		rows := e.audits(t, "admin.user_lock", e.userID, store.OutcomeSuccess)
		require.Len(t, rows, 1)
		assert.Equal(t, e.adminID, rows[0].ActorID)

		require.Equal(t, 204, e.post(t, path+"/unlock", nil, e2eBearer(e.admin)...).Status)
		assert.Equal(t, store.StatusActive, e.status(t, e.userID))
		e.login(t, "user@example.com", e2ePassword)
		ev := e.events(t, store.EventUserActivated, e.userID)
		require.Len(t, ev, 1)
		assert.Equal(t, map[string]any{"from": "locked"}, ev[0]["payload"])
		assert.Contains(t, e.notices(t, e.userID), "account.unlocked")

		t.Run("UnlockClearsTheLockout", func(t *testing.T) {
			for i := range 5 {
				e.loginProblem(t, "mod@example.com", "wrong-password-"+string(rune('a'+i)), 401, "INVALID_CREDENTIALS")
			}
			e.loginProblem(t, "mod@example.com", e2ePassword, 423, "ACCOUNT_LOCKED")
			d := e.get(t, "/admin/users/"+e.moderatorID, e2eBearer(e.admin)...).JSON(t)
			assert.GreaterOrEqual(t, d["failedLoginCount"], float64(5))
			assert.NotNil(t, d["lockedUntil"])
			assert.Equal(t, "active", d["status"], "the automatic lock-out is not the locked status")
			require.Equal(t, 204, e.post(t, "/admin/users/"+e.moderatorID+"/unlock", nil, e2eBearer(e.admin)...).Status)
			d = e.get(t, "/admin/users/"+e.moderatorID, e2eBearer(e.admin)...).JSON(t)
			assert.Equal(t, float64(0), d["failedLoginCount"])
			assert.Nil(t, d["lockedUntil"])
			e.login(t, "mod@example.com", e2ePassword)
			assert.Empty(t, e.events(t, store.EventUserActivated, e.moderatorID), "no status changed")
		})
		t.Run("LastAdmin", func(t *testing.T) {
			e2eCheckProblem(t, e.post(t, "/admin/users/"+e.adminID+"/lock", nil, e2eBearer(e.admin)...), 422, "LAST_ADMIN")
		})
	})
}

func TestAdminSuspendAndReactivate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		path := "/admin/users/" + e.userID
		until := e.clock.Now().Add(time.Hour)
		r := e.post(t, path+"/suspend", map[string]any{"reason": "  chargeback fraud  ", "until": until}, e2eBearer(e.admin)...)
		require.Equal(t, 200, r.Status, r.String())
		d := r.JSON(t)
		assert.Equal(t, "suspended", d["status"])
		assert.Equal(t, "chargeback fraud", d["suspendedReason"])
		assert.Equal(t, until.UTC().Format(time.RFC3339), d["suspendedUntil"].(string)[:len("2006-01-02T15:04:05")]+"Z")
		assert.Equal(t, float64(0), d["sessionCount"], "sessions revoked at once")
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(e.user)...), 401, "UNAUTHENTICATED")
		e.loginProblem(t, "user@example.com", e2ePassword, 403, "ACCOUNT_SUSPENDED")
		e.loginProblem(t, "user@example.com", "not-the-password", 401, "INVALID_CREDENTIALS")
		ev := e.events(t, store.EventUserSuspended, e.userID)
		require.Len(t, ev, 1)
		assert.NotContains(t, ev[0]["payload"], "reason", "the reason is personal data: not in the event")
		assert.Contains(t, e.notices(t, e.userID), "account.suspended")

		// The suspension ends by itself.
		e.advance(t, time.Hour+time.Second)
		e.login(t, "user@example.com", e2ePassword)

		r = e.post(t, path+"/reactivate", nil, e2eBearer(e.admin)...)
		require.Equal(t, 200, r.Status, r.String())
		d = r.JSON(t)
		assert.Equal(t, "active", d["status"])
		assert.Nil(t, d["suspendedReason"])
		assert.Nil(t, d["suspendedUntil"])
		require.Len(t, e.events(t, store.EventUserActivated, e.userID), 1)
		// Reactivating an active user changes nothing.
		require.Equal(t, 200, e.post(t, path+"/reactivate", nil, e2eBearer(e.admin)...).Status)
		assert.Len(t, e.events(t, store.EventUserActivated, e.userID), 1)

		t.Run("BadInput", func(t *testing.T) {
			p := e2eCheckProblem(t, e.post(t, path+"/suspend", map[string]any{"reason": " ", "until": e.clock.Now().Add(-time.Minute)}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.ElementsMatch(t, []string{"reason", "until"}, p.Fields())
			p = e2eCheckProblem(t, e.post(t, path+"/suspend", map[string]any{"reason": strings.Repeat("x", 501)}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.Equal(t, []string{"reason"}, p.Fields())
			p = e2eCheckProblem(t, e.post(t, path+"/suspend", map[string]any{"reason": "x", "until": "tomorrow", "note": 1}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.ElementsMatch(t, []string{"until", "note"}, p.Fields())
			e2eCheckProblem(t, e.post(t, path+"/suspend", nil, e2eBearer(e.admin)...), 415, "UNSUPPORTED_MEDIA_TYPE")
		})
		t.Run("LastAdmin", func(t *testing.T) {
			e2eCheckProblem(t, e.post(t, "/admin/users/"+e.adminID+"/suspend", map[string]any{"reason": "oops"}, e2eBearer(e.admin)...), 422, "LAST_ADMIN")
		})
		t.Run("Deleted", func(t *testing.T) {
			require.Equal(t, 204, e.do(t, "DELETE", "/admin/users/"+e.moderatorID, nil, e2eBearer(e.admin)...).Status)
			e2eCheckProblem(t, e.post(t, "/admin/users/"+e.moderatorID+"/suspend", map[string]any{"reason": "x"}, e2eBearer(e.admin)...), 409, "CONFLICT")
			e2eCheckProblem(t, e.post(t, "/admin/users/"+e.moderatorID+"/reactivate", nil, e2eBearer(e.admin)...), 409, "CONFLICT")
		})
	})
}

func TestAdminVerifyEmailAndResetPassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		path := "/admin/users/" + e.userID
		r := e.post(t, path+"/verify-email", nil, e2eBearer(e.admin)...)
		require.Equal(t, 200, r.Status, r.String())
		assert.Equal(t, true, r.JSON(t)["emailVerified"])
		require.Len(t, e.events(t, store.EventUserUpdated, e.userID), 1)

		r = e.post(t, path+"/reset-password", nil, e2eBearer(e.admin)...)
		require.Equal(t, 202, r.Status, r.String())
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(e.user)...), 401, "UNAUTHENTICATED")
		m := e.mail.next(t, "user@example.com", "eset", e2eSoon)
		token, _ := e.linkToken(t, m)
		e.login(t, "user@example.com", e2ePassword) // the old password works until the reset
		assert.Contains(t, e.notices(t, e.userID), "security.password_reset_by_admin")
		require.Len(t, e.audits(t, "admin.user_reset_password", e.userID, store.OutcomeSuccess), 1)
		res := e.post(t, "/auth/reset-password", map[string]any{"token": token, "newPassword": "copper-kettle-orchard-77"})
		require.Equal(t, 200, res.Status, res.String())
		e.login(t, "user@example.com", "copper-kettle-orchard-77")
		e.loginProblem(t, "user@example.com", e2ePassword, 401, "INVALID_CREDENTIALS")
	})
}

func TestAdminResetTwoFactor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		before := e.mail.to("user@example.com")
		r := e.post(t, "/2fa/setup", map[string]any{"method": "email"}, e2eBearer(e.user)...)
		require.Equal(t, 200, r.Status, r.String())
		require.True(t, e.waitMail(t, "user@example.com", before+1))
		code := lastSixDigits(t, e.lastMailTo(t, "user@example.com"))
		r = e.post(t, "/2fa/enable", map[string]any{"code": code}, e2eBearer(e.user)...)
		require.Equal(t, 200, r.Status, r.String())
		login := e.post(t, "/auth/login", map[string]any{"identifier": "user@example.com", "password": e2ePassword})
		require.Equal(t, true, login.JSON(t)["mfaRequired"])

		r = e.post(t, "/admin/users/"+e.userID+"/2fa/reset", nil, e2eBearer(e.admin)...)
		require.Equal(t, 200, r.Status, r.String())
		assert.Equal(t, false, r.JSON(t)["twoFactorEnabled"])
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(e.user)...), 401, "UNAUTHENTICATED")
		tk := e.login(t, "user@example.com", e2ePassword)
		assert.NotEmpty(t, tk.AccessToken, "no second factor asked any more")
		left, err := st.TwoFactor().BackupCodesRemaining(context.Background(), e.userID)
		require.NoError(t, err)
		assert.Zero(t, left, "backup codes removed")
		_, err = st.TwoFactor().Get(context.Background(), e.userID)
		assert.Error(t, err, "the enrolment is gone")
		assert.Contains(t, e.notices(t, e.userID), "security.2fa_reset_by_admin")
		ev := e.events(t, store.EventTwoFactorChanged, e.userID)
		require.NotEmpty(t, ev)
		assert.Equal(t, false, ev[len(ev)-1]["payload"].(map[string]any)["enabled"])
		e2eCheckProblem(t, e.post(t, "/admin/users/"+e.userID+"/2fa/reset", nil, e2eBearer(e.admin)...), 400, "MFA_NOT_ENABLED")
	})
}

// waitMail waits until n messages went to addr.
func (e *adminEnv) waitMail(t *testing.T, addr string, n int) bool {
	t.Helper()
	deadline := time.Now().Add(e2eSoon)
	for time.Now().Before(deadline) {
		if e.mail.to(addr) >= n {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// lastMailTo returns the text of the newest message to addr.
func (e *adminEnv) lastMailTo(t *testing.T, addr string) string {
	t.Helper()
	msgs, _ := e.mail.mails()
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, to := range msgs[i].To {
			if strings.EqualFold(to, addr) {
				return msgs[i].Text
			}
		}
	}
	t.Fatalf("no mail to %s", addr)
	return ""
}

func lastSixDigits(t *testing.T, text string) string {
	t.Helper()
	m := tfaCodeRE.FindAllString(text, -1)
	require.NotEmpty(t, m, "no code in %q", text)
	return m[len(m)-1]
}
