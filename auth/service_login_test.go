package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestServiceLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		u := e.register("alice@example.com", "alice_w")

		for _, ident := range []string{
			"alice@example.com", "ALICE@EXAMPLE.COM", "  Alice@Example.com\t", "alice_w", "ALICE_W", " Alice_W ",
		} {
			t.Run(ident, func(t *testing.T) {
				res, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: ident, Password: svcPassword})
				require.NoError(t, err)
				require.NotNil(t, res.Tokens)
				assert.Nil(t, res.MFA)
				assert.Equal(t, u.ID, res.User.ID)
				assert.Equal(t, []string{store.RoleUser}, res.Tokens.Roles)
				assert.NotEmpty(t, res.Tokens.AccessToken)
				assert.NotEmpty(t, res.Tokens.RefreshToken)
				assert.Equal(t, svcStart.Add(15*time.Minute), res.Tokens.ExpiresAt.UTC())
			})
		}

		t.Run("Audited", func(t *testing.T) {
			rows := e.auditRows(store.AuditFilter{Action: "auth.login", TargetID: u.ID, Outcome: store.OutcomeSuccess})
			require.Len(t, rows, 6)
			assert.Equal(t, u.ID, rows[0].ActorID)
			assert.Equal(t, svcIP, rows[0].IP)
			assert.Equal(t, svcChromeMac, rows[0].UserAgent)
			assert.NotEmpty(t, rows[0].Metadata["session_id"])
		})

		t.Run("LastLoginAt", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			e.login("alice_w", svcPassword)
			got := e.user(u.ID).LastLoginAt
			require.NotNil(t, got)
			assert.Equal(t, svcStart.Add(time.Hour), got.UTC())
		})

		t.Run("Required", func(t *testing.T) {
			_, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: "  ", Password: ""})
			requireCode(t, store.ErrValidation, err)
			var names []string
			for _, f := range store.AsError(err).Fields {
				names = append(names, f.Field)
			}
			assert.ElementsMatch(t, []string{"identifier", "password"}, names)
		})
	})
}

func TestServiceLoginWrongCredentials(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		u := e.register("bob@example.com", "bobby")

		tests := []struct {
			name, ident, password, target string
		}{
			{"wrong password by email", "bob@example.com", "Wrong-Password-1", u.ID},
			{"wrong password by username", "BOBBY", "Wrong-Password-1", u.ID},
			{"password case matters", "bobby", strings.ToUpper(svcPassword), u.ID},
			{"unknown email", "nobody@example.com", svcPassword, ""},
			{"unknown username", "nobody", svcPassword, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := len(e.auditRows(store.AuditFilter{Action: "auth.login", Outcome: store.OutcomeFailure}))
				res, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: tc.ident, Password: tc.password})
				requireCode(t, store.ErrInvalidCredentials, err)
				assert.Nil(t, res)
				rows := e.auditRows(store.AuditFilter{Action: "auth.login", Outcome: store.OutcomeFailure})
				require.Len(t, rows, before+1)
				assert.Equal(t, tc.target, rows[0].TargetID)
				assert.Equal(t, tc.target, rows[0].ActorID)
				assert.Equal(t, svcIP, rows[0].IP)
				assert.Equal(t, svcChromeMac, rows[0].UserAgent)
			})
		}
		// Failures were counted; none succeeded.
		assert.Nil(t, e.user(u.ID).LastLoginAt)
		sessions, err := st.Sessions().List(context.Background(), u.ID, e.clock.Now(), store.ListRequest{})
		require.NoError(t, err)
		assert.Empty(t, sessions.Items)
	})
}

func TestServiceLoginLockout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()

		t.Run("FifthFailureLocks", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("carol@example.com", "carol")
			login := func(pw string) error {
				_, err := e.svc.Login(ctx, auth.Credentials{Identifier: "carol@example.com", Password: pw})
				return err
			}
			for i := 1; i <= 5; i++ {
				requireCode(t, store.ErrInvalidCredentials, login("Wrong-Password-1"))
			}
			err := login(svcPassword)
			requireCode(t, store.ErrAccountLocked, err)
			assert.Equal(t, 15*60+1, store.AsError(err).Extra["retryAfter"])
			requireCode(t, store.ErrAccountLocked, login("Wrong-Password-1"))

			denied := e.auditRows(store.AuditFilter{Action: "auth.login", Outcome: store.OutcomeDenied})
			assert.Len(t, denied, 2)

			e.clock.Advance(15*time.Minute - time.Second)
			requireCode(t, store.ErrAccountLocked, login(svcPassword))
			e.clock.Advance(time.Second)
			require.NoError(t, login(svcPassword))

			f, err := st.Lockout().Failures(context.Background(), "carol@example.com")
			require.NoError(t, err)
			assert.Zero(t, f.Count, "a successful login clears the failures")
			assert.Nil(t, f.LockedUntil)
		})

		// Locks double from 15 minutes but, by default, stop growing at an
		// hour: anyone knowing an identifier can keep it locked, so a long
		// cap would let a handful of guesses shut its owner out for a day.
		for _, tc := range []struct {
			name  string
			edit  func(*auth.Config)
			locks []time.Duration
		}{
			{name: "RepeatedLockDoublesUpToAnHour", locks: []time.Duration{
				15 * time.Minute, 30 * time.Minute, time.Hour, time.Hour, time.Hour}},
			{name: "MaxLockConfigurable", edit: func(c *auth.Config) { c.Lockout.MaxLock = 3 * time.Hour },
				locks: []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 3 * time.Hour}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := newSvcEnv(t, st, tc.edit)
				wrong := func() error {
					_, err := e.svc.Login(ctx, auth.Credentials{Identifier: "nobody-" + tc.name, Password: "Wrong-Password-1"})
					return err
				}
				for i, lock := range tc.locks {
					for range 5 {
						requireCode(t, store.ErrInvalidCredentials, wrong())
					}
					err := wrong()
					requireCode(t, store.ErrAccountLocked, err)
					assert.Equal(t, int(lock/time.Second)+1, store.AsError(err).Extra["retryAfter"], "lock %d", i+1)
					e.clock.Advance(lock - time.Second)
					requireCode(t, store.ErrAccountLocked, wrong())
					e.clock.Advance(time.Second)
				}
			})
		}

		t.Run("RightPasswordResetsCount", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("dave@example.com", "dave")
			for range 4 {
				_, err := e.svc.Login(ctx, auth.Credentials{Identifier: "dave", Password: "Wrong-Password-1"})
				requireCode(t, store.ErrInvalidCredentials, err)
			}
			e.login("dave", svcPassword)
			for range 4 {
				_, err := e.svc.Login(ctx, auth.Credentials{Identifier: "dave", Password: "Wrong-Password-1"})
				requireCode(t, store.ErrInvalidCredentials, err)
			}
			e.login("dave", svcPassword)
		})

		t.Run("EmailAndUsernameShareCounter", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("erin@example.com", "erin_e")
			idents := []string{"erin@example.com", "ERIN_E", "Erin@Example.com", "erin_e", "ERIN@EXAMPLE.COM"}
			for _, id := range idents {
				_, err := e.svc.Login(ctx, auth.Credentials{Identifier: id, Password: "Wrong-Password-1"})
				requireCode(t, store.ErrInvalidCredentials, err)
			}
			f, err := st.Lockout().Failures(context.Background(), "erin@example.com")
			require.NoError(t, err)
			assert.Equal(t, 5, f.Count)
			assert.NotNil(t, f.LockedUntil)

			_, err = e.svc.Login(ctx, auth.Credentials{Identifier: "erin_e", Password: svcPassword})
			requireCode(t, store.ErrAccountLocked, err)
			f, err = st.Lockout().Failures(context.Background(), "erin_e")
			require.NoError(t, err)
			assert.Zero(t, f.Count, "the key is the account's email, not the username")
		})

		t.Run("UnknownIdentifierLocks", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			for _, ident := range []string{"ghost@example.com", "Ghosty"} {
				for range 5 {
					_, err := e.svc.Login(ctx, auth.Credentials{Identifier: ident, Password: "Wrong-Password-1"})
					requireCode(t, store.ErrInvalidCredentials, err)
				}
				_, err := e.svc.Login(ctx, auth.Credentials{Identifier: ident, Password: "Wrong-Password-1"})
				requireCode(t, store.ErrAccountLocked, err)
			}
			// Once the account exists, the lock on its address still holds.
			e.register("ghost@example.com", "")
			_, err := e.svc.Login(ctx, auth.Credentials{Identifier: "ghost@example.com", Password: svcPassword})
			requireCode(t, store.ErrAccountLocked, err)
		})
	})
}

func TestServiceLoginStatus(t *testing.T) {
	past := svcStart.Add(-time.Hour)
	future := svcStart.Add(time.Hour)
	purge := svcStart.Add(30 * 24 * time.Hour)
	tests := []struct {
		name  string
		edit  func(u *store.User)
		want  *store.Error // nil: login works
		extra map[string]any
	}{
		{"active", func(u *store.User) {}, nil, nil},
		{"deactivated", func(u *store.User) { u.Status = store.StatusDeactivated }, store.ErrAccountDeactivated, nil},
		{"suspended", func(u *store.User) { u.Status = store.StatusSuspended }, store.ErrAccountSuspended, nil},
		{"suspended until later", func(u *store.User) {
			u.Status, u.SuspendedUntil = store.StatusSuspended, &future
		}, store.ErrAccountSuspended, nil},
		{"suspension over", func(u *store.User) {
			u.Status, u.SuspendedUntil = store.StatusSuspended, &past
		}, nil, nil},
		{"deleted", func(u *store.User) {
			u.Status, u.DeletedAt, u.PurgeAfter = store.StatusDeleted, &past, &purge
		}, store.ErrAccountDeleted, map[string]any{"purgeAfter": "2030-02-01T03:04:05Z"}},
		{"locked by admin", func(u *store.User) { u.Status = store.StatusLocked }, store.ErrAccountLocked, nil},
	}
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := newSvcEnv(t, st, nil)
				addr := "status" + string(rune('a'+i)) + "@example.com"
				u := e.register(addr, "")
				e.setStatus(u.ID, tc.edit)

				// A wrong password says nothing about the status.
				_, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: addr, Password: "Wrong-Password-1"})
				requireCode(t, store.ErrInvalidCredentials, err)

				res, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: addr, Password: svcPassword})
				if tc.want == nil {
					require.NoError(t, err)
					assert.NotNil(t, res.Tokens)
					return
				}
				requireCode(t, tc.want, err)
				assert.Nil(t, res)
				assert.True(t, audit.Recorded(err), "the edge must not audit the 403 twice")
				for k, v := range tc.extra {
					assert.Equal(t, v, store.AsError(err).Extra[k], k)
				}
				rows := e.auditRows(store.AuditFilter{Action: "auth.login", TargetID: u.ID, Outcome: store.OutcomeDenied})
				require.Len(t, rows, 1, "a refusal after a right password is audited as denied")
				assert.Nil(t, e.user(u.ID).LastLoginAt)
			})
		}
	})
}

func TestServiceLoginRequireVerifiedEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, func(c *auth.Config) { c.RequireVerifiedEmail = true })
		e.register("frank@example.com", "")

		_, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: "frank@example.com", Password: "Wrong-Password-1"})
		requireCode(t, store.ErrInvalidCredentials, err)
		_, err = e.svc.Login(svcCtx(), auth.Credentials{Identifier: "frank@example.com", Password: svcPassword})
		requireCode(t, store.ErrEmailNotVerified, err)

		require.NoError(t, e.svc.VerifyEmail(svcCtx(), e.linkToken("frank@example.com", svcVerifyLink)))
		e.login("frank@example.com", svcPassword)
	})
}

func TestServiceLoginRehash(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		u := e.register("gina@example.com", "gina")
		old := e.user(u.ID).PasswordHash
		require.True(t, strings.HasPrefix(old, "$bcrypt-sha256$$2a$04$"), old)

		stronger := e.service(func(c *auth.Config) { c.Passwords = auth.Passwords{Preferred: auth.Bcrypt{Cost: 5}} })
		e.clock.Advance(time.Minute)
		res, err := stronger.Login(svcCtx(), auth.Credentials{Identifier: "gina", Password: svcPassword})
		require.NoError(t, err)
		require.NotNil(t, res.Tokens)

		got := e.user(u.ID)
		assert.NotEqual(t, old, got.PasswordHash)
		assert.True(t, strings.HasPrefix(got.PasswordHash, "$bcrypt-sha256$$2a$05$"), got.PasswordHash)
		ok, err := auth.Bcrypt{Cost: 5}.Verify(got.PasswordHash, svcPassword)
		require.NoError(t, err)
		assert.True(t, ok)
		require.NotNil(t, got.LastLoginAt, "a re-hashing login still records the login")
		assert.Equal(t, svcStart.Add(time.Minute), got.LastLoginAt.UTC())

		// Both services accept the new hash; the weaker one re-hashes back.
		e.login("gina", svcPassword)
		_, err = stronger.Login(svcCtx(), auth.Credentials{Identifier: "gina", Password: svcPassword})
		require.NoError(t, err)
	})
}

func TestServiceLoginSession(t *testing.T) {
	tests := []struct {
		name, ua, deviceName, want string
	}{
		{"chrome on macOS", svcChromeMac, "", "Chrome on macOS"},
		{"firefox on windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", "", "Firefox on Windows"},
		{"edge on windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "", "Edge on Windows"},
		{"safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "", "Safari on iPhone"},
		{"chrome on android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "", "Chrome on Android"},
		{"curl", "curl/8.5.0", "", "curl"},
		{"no user agent", "", "", "Unknown device"},
		{"given name wins", svcChromeMac, "  Work laptop ", "Work laptop"},
		{"given name capped", svcChromeMac, strings.Repeat("n", 150), strings.Repeat("n", 100)},
		{"capped on a rune boundary", svcChromeMac, "n" + strings.Repeat("é", 60), "n" + strings.Repeat("é", 49)},
		{"unknown agent capped", strings.Repeat("x", 59) + "é/1.0 more", "", strings.Repeat("x", 59)},
	}
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		u := e.register("hank@example.com", "hank")
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ctx := store.NewContextWithRequest(context.Background(),
					store.Request{IP: "198.51.100.9", UserAgent: tc.ua})
				res, err := e.svc.Login(ctx, auth.Credentials{Identifier: "hank", Password: svcPassword,
					DeviceName: tc.deviceName, Fingerprint: "fp-" + tc.name})
				require.NoError(t, err)
				s := e.session(res.Tokens.SessionID)
				assert.Equal(t, u.ID, s.UserID)
				assert.Equal(t, tc.want, s.DeviceName)
				assert.True(t, utf8.ValidString(s.DeviceName))
				assert.Equal(t, "198.51.100.9", s.IP)
				assert.Equal(t, tc.ua, s.UserAgent)
				assert.NotEmpty(t, s.FingerprintHash)
				assert.NotContains(t, s.FingerprintHash, "fp-")
				assert.Equal(t, svcStart, s.CreatedAt.UTC())
				assert.Equal(t, svcStart.Add(30*24*time.Hour), s.ExpiresAt.UTC())
				assert.Nil(t, s.RevokedAt)
			})
		}
		t.Run("no fingerprint", func(t *testing.T) {
			s := e.session(e.login("hank", svcPassword).SessionID)
			assert.Empty(t, s.FingerprintHash)
		})
	})
}

// Parallel wrong passwords for one identifier: every attempt counts, none
// is lost, no more than the threshold get a password check, and the
// identifier ends locked.
func TestServiceLoginLockoutRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		e.register("ivy@example.com", "ivy")
		const n = 20
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = e.svc.Login(svcCtx(), auth.Credentials{Identifier: "ivy@example.com", Password: "Wrong-Password-1"})
			}()
		}
		close(start)
		wg.Wait()

		invalid := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, store.ErrInvalidCredentials):
				invalid++
			case errors.Is(err, store.ErrAccountLocked):
			default:
				t.Errorf("unexpected answer: %v", err)
			}
		}
		f, err := st.Lockout().Failures(context.Background(), "ivy@example.com")
		require.NoError(t, err)
		// At most the threshold's worth of guesses get a password check
		// (fewer when the store reports a lock set by a later attempt).
		assert.LessOrEqual(t, invalid, 5)
		assert.GreaterOrEqual(t, invalid, 1)
		assert.Equal(t, n, f.Count, "every attempt counts")
		require.NotNil(t, f.LockedUntil)
		assert.Equal(t, svcStart.Add(15*time.Minute), f.LockedUntil.UTC())
		assert.Equal(t, 1, f.Locks)

		_, err = e.svc.Login(svcCtx(), auth.Credentials{Identifier: "ivy", Password: svcPassword})
		requireCode(t, store.ErrAccountLocked, err)
	})
}
