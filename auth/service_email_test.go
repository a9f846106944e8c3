package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// svcNewPassword returns the i-th password of a rotation.
func svcNewPassword(i int) string { return fmt.Sprintf("Quartz-Lantern-Fig-%d", i) }

func TestServiceResendVerification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()
		e := newSvcEnv(t, st, nil)
		unverified := e.register("unverified@example.com", "")
		verified := e.register("verified@example.com", "")
		require.NoError(t, e.svc.VerifyEmail(ctx, e.linkToken("verified@example.com", svcVerifyLink)))
		deleted := e.register("deleted@example.com", "")
		e.setStatus(deleted.ID, func(u *store.User) { u.Status = store.StatusDeleted })
		first := e.linkToken("unverified@example.com", svcVerifyLink)

		for _, addr := range []string{"nobody@example.com", "Verified@Example.com", " UNVERIFIED@example.com ", "deleted@example.com"} {
			assert.NoError(t, e.svc.ResendVerification(ctx, addr), addr)
		}
		requireCode(t, store.ErrValidation, e.svc.ResendVerification(ctx, "not-an-email"))

		assert.Len(t, e.mailsTo("unverified@example.com"), 2)
		assert.Len(t, e.mailsTo("verified@example.com"), 1)
		assert.Len(t, e.mailsTo("deleted@example.com"), 1)
		assert.Empty(t, e.mailsTo("nobody@example.com"))
		assert.Len(t, e.mails(), 4)

		second := e.linkToken("unverified@example.com", svcVerifyLink)
		assert.NotEqual(t, first, second)
		requireCode(t, store.ErrInvalidToken, e.svc.VerifyEmail(ctx, first))
		require.NoError(t, e.svc.VerifyEmail(ctx, second))
		assert.True(t, e.user(unverified.ID).EmailVerified)
		assert.True(t, e.user(verified.ID).EmailVerified)

		rows := e.auditRows(store.AuditFilter{Action: "auth.resend_verification"})
		require.Len(t, rows, 1)
		assert.Equal(t, unverified.ID, rows[0].TargetID)
	})
}

func TestServiceForgotPassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()
		e := newSvcEnv(t, st, nil)
		u := e.register("forgot@example.com", "")
		deleted := e.register("gone@example.com", "")
		e.setStatus(deleted.ID, func(u *store.User) { u.Status = store.StatusDeleted })
		before := len(e.mails())

		for _, addr := range []string{"nobody@example.com", "FORGOT@example.com", "gone@example.com"} {
			assert.NoError(t, e.svc.ForgotPassword(ctx, addr), addr)
		}
		requireCode(t, store.ErrValidation, e.svc.ForgotPassword(ctx, "nope"))

		msgs := e.mails()
		require.Len(t, msgs, before+1)
		assert.Equal(t, "forgot@example.com", msgs[len(msgs)-1].To)
		assert.Equal(t, "Reset your password", msgs[len(msgs)-1].Subject)
		assert.Contains(t, msgs[len(msgs)-1].Text, svcResetLink+"?token=")

		rows := e.auditRows(store.AuditFilter{Action: "auth.password_reset_request"})
		require.Len(t, rows, 1)
		assert.Equal(t, u.ID, rows[0].TargetID)
		assert.Equal(t, svcIP, rows[0].IP)
	})
}

func TestServiceResetPassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()

		t.Run("OK", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("reset@example.com", "resetter")
			a := e.login("reset@example.com", svcPassword)
			b := e.login("resetter", svcPassword)
			_, err := e.svc.Authenticate(ctx, a.AccessToken, "") // cached
			require.NoError(t, err)
			for range 3 {
				_, err := e.svc.Login(ctx, auth.Credentials{Identifier: "resetter", Password: "Wrong-Password-1"})
				requireCode(t, store.ErrInvalidCredentials, err)
			}

			require.NoError(t, e.svc.ForgotPassword(ctx, "reset@example.com"))
			tok := e.linkToken("reset@example.com", svcResetLink)
			e.clock.Advance(time.Minute)
			require.NoError(t, e.svc.ResetPassword(ctx, tok, svcNewPassword(1)))

			got := e.user(u.ID)
			assert.True(t, got.EmailVerified, "the link reached the address")
			require.NotNil(t, got.PasswordChangedAt)
			assert.Equal(t, svcStart.Add(time.Minute), got.PasswordChangedAt.UTC())
			for _, p := range []*auth.TokenPair{a, b} {
				s := e.session(p.SessionID)
				assert.NotNil(t, s.RevokedAt, "every session is revoked")
				_, err := e.svc.Authenticate(ctx, p.AccessToken, "")
				requireCode(t, store.ErrUnauthenticated, err)
				_, err = e.svc.Refresh(ctx, p.RefreshToken, "")
				requireCode(t, store.ErrInvalidRefreshToken, err)
			}
			f, err := st.Lockout().Failures(context.Background(), "reset@example.com")
			require.NoError(t, err)
			assert.Zero(t, f.Count, "a reset clears failed logins")

			_, err = e.svc.Login(ctx, auth.Credentials{Identifier: "resetter", Password: svcPassword})
			requireCode(t, store.ErrInvalidCredentials, err)
			e.login("resetter", svcNewPassword(1))

			requireCode(t, store.ErrInvalidToken, e.svc.ResetPassword(ctx, tok, svcNewPassword(2)))
			requireCode(t, store.ErrInvalidToken, e.svc.ResetPassword(ctx, "", svcNewPassword(2)))
			requireCode(t, store.ErrInvalidToken, e.svc.ResetPassword(ctx, "bogus", svcNewPassword(2)))

			rows := e.auditRows(store.AuditFilter{Action: "auth.password_reset", TargetID: u.ID})
			require.Len(t, rows, 1)
			assert.Equal(t, store.OutcomeSuccess, rows[0].Outcome)
			assert.Equal(t, svcIP, rows[0].IP)
			assert.Equal(t, svcChromeMac, rows[0].UserAgent)

			msgs := e.mailsTo("reset@example.com")
			assert.Equal(t, "Your password was changed", msgs[len(msgs)-1].Subject)
		})

		t.Run("NewerTokenKillsOlder", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("twice@example.com", "")
			require.NoError(t, e.svc.ForgotPassword(ctx, "twice@example.com"))
			older := e.linkToken("twice@example.com", svcResetLink)
			require.NoError(t, e.svc.ForgotPassword(ctx, "twice@example.com"))
			newer := e.linkToken("twice@example.com", svcResetLink)
			require.NotEqual(t, older, newer)

			requireCode(t, store.ErrInvalidToken, e.svc.ResetPassword(ctx, older, svcNewPassword(1)))
			require.NoError(t, e.svc.ResetPassword(ctx, newer, svcNewPassword(1)))
		})

		t.Run("Expiry", func(t *testing.T) {
			tests := []struct {
				name  string
				after time.Duration
				ok    bool
			}{
				{"before 1h", time.Hour - time.Second, true},
				{"at 1h", time.Hour, false},
				{"after 1h", 2 * time.Hour, false},
			}
			for i, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					e := newSvcEnv(t, st, nil)
					addr := fmt.Sprintf("reset-exp%d@example.com", i)
					u := e.register(addr, "")
					require.NoError(t, e.svc.ForgotPassword(ctx, addr))
					tok := e.linkToken(addr, svcResetLink)
					e.clock.Advance(tc.after)
					err := e.svc.ResetPassword(ctx, tok, svcNewPassword(1))
					if tc.ok {
						require.NoError(t, err)
						return
					}
					requireCode(t, store.ErrInvalidToken, err)
					ok, err := auth.Bcrypt{}.Verify(e.user(u.ID).PasswordHash, svcPassword)
					require.NoError(t, err)
					assert.True(t, ok, "the password is unchanged")
				})
			}
		})

		t.Run("RefusedPasswordSpendsNothing", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("policy@example.com", "")
			require.NoError(t, e.svc.ForgotPassword(ctx, "policy@example.com"))
			tok := e.linkToken("policy@example.com", svcResetLink)
			requireCode(t, store.ErrWeakPassword, e.svc.ResetPassword(ctx, tok, "password123"))
			requireCode(t, store.ErrWeakPassword, e.svc.ResetPassword(ctx, tok, "policy-Rocket-9"))
			requireCode(t, store.ErrValidation, e.svc.ResetPassword(ctx, tok, ""))
			requireCode(t, store.ErrPasswordReused, e.svc.ResetPassword(ctx, tok, svcPassword))
			require.NoError(t, e.svc.ResetPassword(ctx, tok, svcNewPassword(1)))
		})
	})
}

func TestServicePasswordHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()
		e := newSvcEnv(t, st, nil)
		u := e.register("history@example.com", "")
		// Passwords so far: svcPassword, then 1..4: five in all.
		current := svcPassword
		for i := 1; i <= 4; i++ {
			e.clock.Advance(time.Minute)
			require.NoError(t, e.svc.ChangePassword(ctx, u.ID, "", current, svcNewPassword(i)))
			current = svcNewPassword(i)
		}

		require.NoError(t, e.svc.ForgotPassword(ctx, "history@example.com"))
		tok := e.linkToken("history@example.com", svcResetLink)
		for _, old := range []string{svcPassword, svcNewPassword(1), svcNewPassword(4)} {
			err := e.svc.ResetPassword(ctx, tok, old)
			requireCode(t, store.ErrPasswordReused, err)
		}
		require.NoError(t, e.svc.ResetPassword(ctx, tok, svcNewPassword(5)))

		// svcPassword is now the sixth most recent: allowed again.
		err := e.svc.ChangePassword(ctx, u.ID, "", svcNewPassword(5), svcNewPassword(1))
		requireCode(t, store.ErrPasswordReused, err)
		require.NoError(t, e.svc.ChangePassword(ctx, u.ID, "", svcNewPassword(5), svcPassword))
	})
}

func TestServiceChangePassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()
		e := newSvcEnv(t, st, nil)
		u := e.register("change@example.com", "changer")
		cur := e.login("change@example.com", svcPassword)
		other := e.login("changer", svcPassword)
		for _, p := range []*auth.TokenPair{cur, other} {
			_, err := e.svc.Authenticate(ctx, p.AccessToken, "") // cached
			require.NoError(t, err)
		}
		mailsBefore := len(e.mailsTo("change@example.com"))

		tests := []struct {
			name, current, next string
			want                *store.Error
		}{
			{"wrong current", "Wrong-Password-1", svcNewPassword(1), store.ErrInvalidPassword},
			{"no current", "", svcNewPassword(1), store.ErrValidation},
			{"no new", svcPassword, "", store.ErrValidation},
			{"same as current", svcPassword, svcPassword, store.ErrPasswordReused},
			{"weak", svcPassword, "12345678", store.ErrWeakPassword},
			{"contains username", svcPassword, "Changer-Rocket-5", store.ErrWeakPassword},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := e.svc.ChangePassword(ctx, u.ID, cur.SessionID, tc.current, tc.next)
				requireCode(t, tc.want, err)
				if tc.want == store.ErrInvalidPassword {
					assert.True(t, audit.Recorded(err), "the edge must not audit the 403 twice")
				}
				assert.Nil(t, e.session(other.SessionID).RevokedAt, "a refused change revokes nothing")
			})
		}
		requireCode(t, store.ErrUserNotFound, e.svc.ChangePassword(ctx, "no-such-user", "", svcPassword, svcNewPassword(1)))
		denied := e.auditRows(store.AuditFilter{Action: "auth.password_change", TargetID: u.ID, Outcome: store.OutcomeDenied})
		require.Len(t, denied, 1, "the wrong current password (403) is audited as denied")
		assert.Equal(t, svcIP, denied[0].IP)
		assert.Equal(t, "invalid_password", denied[0].Metadata["reason"])

		t.Run("OK", func(t *testing.T) {
			require.NoError(t, e.svc.ChangePassword(ctx, u.ID, cur.SessionID, svcPassword, svcNewPassword(1)))

			_, err := e.svc.Authenticate(ctx, cur.AccessToken, "")
			assert.NoError(t, err, "the current session stays")
			assert.Nil(t, e.session(cur.SessionID).RevokedAt)
			_, err = e.svc.Refresh(ctx, cur.RefreshToken, "")
			assert.NoError(t, err)

			_, err = e.svc.Authenticate(ctx, other.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)
			_, err = e.svc.Refresh(ctx, other.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)
			assert.NotNil(t, e.session(other.SessionID).RevokedAt)

			_, err = e.svc.Login(ctx, auth.Credentials{Identifier: "changer", Password: svcPassword})
			requireCode(t, store.ErrInvalidCredentials, err)
			e.login("changer", svcNewPassword(1))

			msgs := e.mailsTo("change@example.com")
			require.Len(t, msgs, mailsBefore+1)
			assert.Equal(t, "Your password was changed", msgs[len(msgs)-1].Subject)

			rows := e.auditRows(store.AuditFilter{Action: "auth.password_change", TargetID: u.ID, Outcome: store.OutcomeSuccess})
			require.Len(t, rows, 1)
			assert.Equal(t, store.OutcomeSuccess, rows[0].Outcome)
			assert.Equal(t, svcIP, rows[0].IP)
			assert.Equal(t, svcChromeMac, rows[0].UserAgent)
		})

		t.Run("NoMailWhenSecurityNoticesOff", func(t *testing.T) {
			e.setStatus(u.ID, func(u *store.User) { u.Preferences.NotifySecurity = false })
			before := len(e.mailsTo("change@example.com"))
			require.NoError(t, e.svc.ChangePassword(ctx, u.ID, "", svcNewPassword(1), svcNewPassword(2)))
			assert.Len(t, e.mailsTo("change@example.com"), before)
		})
		t.Run("GuessesCountTowardLockout", func(t *testing.T) {
			// Someone holding a stolen access token guesses the current
			// password: the guesses lock the account like failed logins.
			for i := 0; i < 5; i++ {
				requireCode(t, store.ErrInvalidPassword,
					e.svc.ChangePassword(ctx, u.ID, cur.SessionID, "Wrong-Guess-"+string(rune('a'+i)), svcNewPassword(3)))
			}
			err := e.svc.ChangePassword(ctx, u.ID, cur.SessionID, svcNewPassword(2), svcNewPassword(3))
			requireCode(t, store.ErrAccountLocked, err)
			_, err = e.svc.Login(ctx, auth.Credentials{Identifier: "change@example.com", Password: svcNewPassword(2)})
			requireCode(t, store.ErrAccountLocked, err) // the login lock is the same one
			e.clock.Advance(16 * time.Minute)
			require.NoError(t, e.svc.ChangePassword(ctx, u.ID, cur.SessionID, svcNewPassword(2), svcNewPassword(3)))
			f, err := st.Lockout().Failures(ctx, "change@example.com")
			require.NoError(t, err)
			assert.Zero(t, f.Count, "a right password clears the count")
		})
	})
}

func TestServiceInvite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		u := e.register("invited@example.com", "")
		admin := e.register("admin@example.com", "")
		ctx := store.NewContextWithActor(svcCtx(), store.Actor{UserID: admin.ID})

		require.NoError(t, e.svc.Invite(ctx, u.ID))
		token := e.linkToken(u.Email, svcResetLink)
		rows := e.auditRows(store.AuditFilter{Action: "user.invite", TargetID: u.ID})
		require.Len(t, rows, 1)
		assert.Equal(t, admin.ID, rows[0].ActorID, "the inviting actor is audited")

		// The link lives 7 days, not the hour of a reset link.
		e.clock.Advance(6 * 24 * time.Hour)
		require.NoError(t, e.svc.ResetPassword(svcCtx(), token, "Harbour-Lantern-Quill-9"))
		requireCode(t, store.ErrUserNotFound, e.svc.Invite(ctx, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"))
	})
}
