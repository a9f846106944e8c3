package auth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestServiceAuthenticate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()

		t.Run("OK", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("auth-ok@example.com", "")
			p := e.login("auth-ok@example.com", svcPassword)
			pr, err := e.svc.Authenticate(ctx, p.AccessToken, "")
			require.NoError(t, err)
			assert.Equal(t, u.ID, pr.UserID)
			assert.Equal(t, p.SessionID, pr.SessionID)
			assert.Empty(t, pr.ImpersonatorID)
			assert.Equal(t, []string{store.RoleUser}, pr.Roles)
		})

		t.Run("BadTokens", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("auth-bad@example.com", "")
			p := e.login("auth-bad@example.com", svcPassword)
			for name, tok := range map[string]string{
				"empty":         "",
				"garbage":       "not.a.jwt",
				"refresh token": p.RefreshToken,
				"tampered":      p.AccessToken[:len(p.AccessToken)-4] + "AAAA",
			} {
				_, err := e.svc.Authenticate(ctx, tok, "")
				requireCode(t, store.ErrUnauthenticated, err)
				assert.NotErrorIs(t, err, store.ErrTokenExpired, name)
			}
		})

		t.Run("Expired", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("auth-exp@example.com", "")
			p := e.login("auth-exp@example.com", svcPassword)
			e.clock.Advance(16 * time.Minute)
			_, err := e.svc.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrTokenExpired, err)
		})

		t.Run("LogoutSameService", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("auth-logout@example.com", "")
			p := e.login("auth-logout@example.com", svcPassword)
			_, err := e.svc.Authenticate(ctx, p.AccessToken, "") // now cached
			require.NoError(t, err)

			require.NoError(t, e.svc.Logout(ctx, p.RefreshToken))
			_, err = e.svc.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)
			_, err = e.svc.Refresh(ctx, p.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)

			s := e.session(p.SessionID)
			require.NotNil(t, s.RevokedAt)
			assert.Equal(t, "logout", s.RevokeReason)
			rows := e.auditRows(store.AuditFilter{Action: "auth.logout", TargetID: u.ID})
			require.Len(t, rows, 1)
			assert.Equal(t, store.OutcomeSuccess, rows[0].Outcome)
			assert.Equal(t, svcIP, rows[0].IP)
			assert.Equal(t, svcChromeMac, rows[0].UserAgent)
			assert.Equal(t, p.SessionID, rows[0].Metadata["session_id"])

			requireCode(t, store.ErrInvalidRefreshToken, e.svc.Logout(ctx, "unknown"))
			requireCode(t, store.ErrValidation, e.svc.Logout(ctx, ""))
		})

		t.Run("LogoutOtherInstance", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			other := e.otherInstance(5 * time.Second)
			e.register("auth-other@example.com", "")
			p := e.login("auth-other@example.com", svcPassword)
			_, err := other.Authenticate(ctx, p.AccessToken, "")
			require.NoError(t, err)

			require.NoError(t, e.svc.Logout(ctx, p.RefreshToken))
			_, err = e.svc.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)

			// The other instance serves its cache within the bound...
			_, err = other.Authenticate(ctx, p.AccessToken, "")
			assert.NoError(t, err)
			e.clock.Advance(5*time.Second - time.Millisecond)
			_, err = other.Authenticate(ctx, p.AccessToken, "")
			assert.NoError(t, err)
			// ...and not a moment after it.
			e.clock.Advance(time.Millisecond)
			_, err = other.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)
		})

		t.Run("NoStaleness", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			// Staleness 0 checks the store on every request.
			other := e.otherInstance(0)
			e.register("auth-nostale@example.com", "")
			p := e.login("auth-nostale@example.com", svcPassword)
			_, err := other.Authenticate(ctx, p.AccessToken, "")
			require.NoError(t, err)
			require.NoError(t, e.svc.Logout(ctx, p.RefreshToken))
			_, err = other.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)
		})

		t.Run("Fingerprint", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("auth-fp@example.com", "")
			res, err := e.svc.Login(ctx, auth.Credentials{Identifier: "auth-fp@example.com", Password: svcPassword,
				Fingerprint: "device-1"})
			require.NoError(t, err)
			p := res.Tokens
			for _, fp := range []string{"", "device-2", "DEVICE-1", "device-1 "} {
				_, err := e.svc.Authenticate(ctx, p.AccessToken, fp)
				requireCode(t, store.ErrUnauthenticated, err)
			}
			pr, err := e.svc.Authenticate(ctx, p.AccessToken, "device-1")
			require.NoError(t, err)
			assert.Equal(t, p.SessionID, pr.SessionID)
		})

		t.Run("SuspendedUser", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("auth-susp@example.com", "")
			p := e.login("auth-susp@example.com", svcPassword)
			_, err := e.svc.Authenticate(ctx, p.AccessToken, "")
			require.NoError(t, err)

			// A status change written through the store takes effect in
			// this process at once, without waiting for the bound.
			e.setStatus(u.ID, func(u *store.User) { u.Status = store.StatusSuspended })
			_, err = e.svc.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)
			e.setStatus(u.ID, func(u *store.User) { u.Status = store.StatusActive })
			_, err = e.svc.Authenticate(ctx, p.AccessToken, "")
			require.NoError(t, err)
			e.setStatus(u.ID, func(u *store.User) { u.Status = store.StatusDeactivated })
			_, err = e.svc.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)

			// Another instance sees it within the staleness bound.
			other := e.otherInstance(5 * time.Second)
			e.setStatus(u.ID, func(u *store.User) { u.Status = store.StatusActive })
			_, err = other.Authenticate(ctx, p.AccessToken, "")
			require.NoError(t, err)
			e.setStatus(u.ID, func(u *store.User) { u.Status = store.StatusSuspended })
			_, err = other.Authenticate(ctx, p.AccessToken, "")
			require.NoError(t, err, "served from its cache within the bound")
			e.clock.Advance(5 * time.Second)
			_, err = other.Authenticate(ctx, p.AccessToken, "")
			requireCode(t, store.ErrUnauthenticated, err)
		})
	})
}

func TestServiceRefresh(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()

		t.Run("Rotates", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("ref-ok@example.com", "")
			p1 := e.login("ref-ok@example.com", svcPassword)
			e.clock.Advance(time.Minute)
			p2, err := e.svc.Refresh(ctx, p1.RefreshToken, "")
			require.NoError(t, err)
			assert.NotEqual(t, p1.RefreshToken, p2.RefreshToken)
			assert.NotEqual(t, p1.AccessToken, p2.AccessToken)
			assert.Equal(t, p1.SessionID, p2.SessionID)
			assert.Equal(t, []string{store.RoleUser}, p2.Roles)
			assert.Equal(t, svcStart.Add(16*time.Minute), p2.ExpiresAt.UTC())
			pr, err := e.svc.Authenticate(ctx, p2.AccessToken, "")
			require.NoError(t, err)
			assert.Equal(t, u.ID, pr.UserID)

			rows := e.auditRows(store.AuditFilter{Action: "auth.refresh", TargetID: u.ID})
			require.Len(t, rows, 1)
			assert.Equal(t, store.OutcomeSuccess, rows[0].Outcome)
			assert.Equal(t, svcIP, rows[0].IP)
			assert.Equal(t, svcChromeMac, rows[0].UserAgent)

			p3, err := e.svc.Refresh(ctx, p2.RefreshToken, "")
			require.NoError(t, err)
			assert.NotEqual(t, p2.RefreshToken, p3.RefreshToken)
		})

		t.Run("Refused", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			_, err := e.svc.Refresh(ctx, "", "")
			requireCode(t, store.ErrValidation, err)
			_, err = e.svc.Refresh(ctx, "no-such-token", "")
			requireCode(t, store.ErrInvalidRefreshToken, err)
		})

		t.Run("NamesItsSession", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("ref-name@example.com", "")
			p1 := e.login("ref-name@example.com", svcPassword)
			p2 := e.login("ref-name@example.com", svcPassword)
			sid, secret, ok := strings.Cut(p1.RefreshToken, ".")
			require.True(t, ok)
			assert.Equal(t, p1.SessionID, sid)
			// The secret is bound to its session: under another live
			// session, or under garbage, it is an unknown token.
			for _, forged := range []string{p2.SessionID + "." + secret, "not-a-session." + secret, "." + secret} {
				_, err := e.svc.Refresh(ctx, forged, "")
				requireCode(t, store.ErrInvalidRefreshToken, err)
			}
			_, err := e.svc.Refresh(ctx, p1.RefreshToken, "")
			require.NoError(t, err, "the forgeries spent nothing")
		})

		t.Run("TokenOfEarlierFormat", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("ref-legacy@example.com", "")
			p1 := e.login("ref-legacy@example.com", svcPassword)
			// Issued before tokens named their session: the bare secret.
			legacy := "bare-secret-of-an-earlier-version"
			h := sha256.Sum256([]byte(legacy))
			now := e.clock.Now()
			require.NoError(t, st.RefreshTokens().Create(ctx, &store.RefreshToken{
				SessionID: p1.SessionID, UserID: u.ID, Hash: h[:], CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
			p2, err := e.svc.Refresh(ctx, legacy, "")
			require.NoError(t, err)
			assert.Equal(t, p1.SessionID, p2.SessionID)
			assert.True(t, strings.HasPrefix(p2.RefreshToken, p1.SessionID+"."), "its successor names the session")
		})

		t.Run("ReuseRevokesSession", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("ref-reuse@example.com", "")
			p1 := e.login("ref-reuse@example.com", svcPassword)
			p2, err := e.svc.Refresh(ctx, p1.RefreshToken, "")
			require.NoError(t, err)
			_, err = e.svc.Authenticate(ctx, p2.AccessToken, "") // cached
			require.NoError(t, err)

			_, err = e.svc.Refresh(ctx, p1.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)

			s := e.session(p1.SessionID)
			require.NotNil(t, s.RevokedAt, "reuse revokes the session")
			assert.Equal(t, "refresh_token_reuse", s.RevokeReason)
			_, err = e.svc.Refresh(ctx, p2.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)
			for _, tok := range []string{p1.AccessToken, p2.AccessToken} {
				_, err = e.svc.Authenticate(ctx, tok, "")
				requireCode(t, store.ErrUnauthenticated, err)
			}
			rows := e.auditRows(store.AuditFilter{Action: "auth.refresh_reuse", TargetID: u.ID})
			require.Len(t, rows, 1)
			assert.Equal(t, store.OutcomeFailure, rows[0].Outcome)
			assert.Equal(t, svcIP, rows[0].IP)
			assert.Equal(t, p1.SessionID, rows[0].Metadata["session_id"])

			// A spent token still signs out.
			require.NoError(t, e.svc.Logout(ctx, p1.RefreshToken))
		})

		t.Run("ReuseGrace", func(t *testing.T) {
			e := newSvcEnv(t, st, func(c *auth.Config) { c.ReuseGrace = 10 * time.Second })
			e.register("ref-grace@example.com", "")
			p1 := e.login("ref-grace@example.com", svcPassword)
			p2, err := e.svc.Refresh(ctx, p1.RefreshToken, "")
			require.NoError(t, err)

			e.clock.Advance(10 * time.Second)
			_, err = e.svc.Refresh(ctx, p1.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)
			assert.Nil(t, e.session(p1.SessionID).RevokedAt, "a reuse within the grace does not revoke")
			p3, err := e.svc.Refresh(ctx, p2.RefreshToken, "")
			require.NoError(t, err)

			e.clock.Advance(time.Second)
			_, err = e.svc.Refresh(ctx, p1.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)
			assert.NotNil(t, e.session(p1.SessionID).RevokedAt, "a reuse after the grace revokes")
			_, err = e.svc.Refresh(ctx, p3.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)
		})

		t.Run("Expiry", func(t *testing.T) {
			tests := []struct {
				name  string
				after time.Duration
				ok    bool
			}{
				{"before 7 days", 7*24*time.Hour - time.Second, true},
				{"at 7 days", 7 * 24 * time.Hour, false},
				{"after 7 days", 8 * 24 * time.Hour, false},
			}
			for i, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					e := newSvcEnv(t, st, nil)
					addr := "ref-exp" + string(rune('a'+i)) + "@example.com"
					e.register(addr, "")
					p := e.login(addr, svcPassword)
					e.clock.Advance(tc.after)
					_, err := e.svc.Refresh(ctx, p.RefreshToken, "")
					if tc.ok {
						require.NoError(t, err)
						return
					}
					requireCode(t, store.ErrInvalidRefreshToken, err)
					assert.Nil(t, e.session(p.SessionID).RevokedAt)
				})
			}
		})

		t.Run("Fingerprint", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			e.register("ref-fp@example.com", "")
			res, err := e.svc.Login(ctx, auth.Credentials{Identifier: "ref-fp@example.com", Password: svcPassword,
				Fingerprint: "device-1"})
			require.NoError(t, err)
			p1 := res.Tokens
			for _, fp := range []string{"", "device-2"} {
				_, err := e.svc.Refresh(ctx, p1.RefreshToken, fp)
				requireCode(t, store.ErrInvalidRefreshToken, err)
			}
			assert.Nil(t, e.session(p1.SessionID).RevokedAt)
			// Nothing was spent: the right device still refreshes.
			p2, err := e.svc.Refresh(ctx, p1.RefreshToken, "device-1")
			require.NoError(t, err)
			_, err = e.svc.Authenticate(ctx, p2.AccessToken, "device-1")
			require.NoError(t, err)
			_, err = e.svc.Refresh(ctx, p2.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)
		})

		t.Run("SuspendedUser", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u := e.register("ref-susp@example.com", "")
			p1 := e.login("ref-susp@example.com", svcPassword)
			e.setStatus(u.ID, func(u *store.User) { u.Status = store.StatusSuspended })
			e.clock.Advance(5 * time.Second)
			_, err := e.svc.Refresh(ctx, p1.RefreshToken, "")
			requireCode(t, store.ErrInvalidRefreshToken, err)

			// The refusal spent nothing.
			e.setStatus(u.ID, func(u *store.User) { u.Status = store.StatusActive })
			e.clock.Advance(5 * time.Second)
			_, err = e.svc.Refresh(ctx, p1.RefreshToken, "")
			require.NoError(t, err)
		})
	})
}

// Parallel refreshes with one token: exactly one wins.
func TestServiceRefreshRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		e.register("ref-race@example.com", "")
		p := e.login("ref-race@example.com", svcPassword)
		const n = 10
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		pairs := make([]*auth.TokenPair, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				pairs[i], errs[i] = e.svc.Refresh(svcCtx(), p.RefreshToken, "")
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
				assert.NotEmpty(t, pairs[i].RefreshToken)
			case errors.Is(err, store.ErrInvalidRefreshToken):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		assert.Equal(t, 1, won)
		assert.Len(t, e.auditRows(store.AuditFilter{Action: "auth.refresh"}), 1)
	})
}

// Login, refresh and logout carry the request facts into their audit rows
// and the session.
func TestServiceAuditRequestFacts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		ctx := store.NewContextWithRequest(context.Background(),
			store.Request{ID: "req-facts", IP: "2001:db8::1", UserAgent: "curl/8.5.0"})
		u, err := e.svc.Register(ctx, auth.Registration{Email: "facts@example.com", Password: svcPassword})
		require.NoError(t, err)
		res, err := e.svc.Login(ctx, auth.Credentials{Identifier: "facts@example.com", Password: svcPassword})
		require.NoError(t, err)
		p, err := e.svc.Refresh(ctx, res.Tokens.RefreshToken, "")
		require.NoError(t, err)
		require.NoError(t, e.svc.Logout(ctx, p.RefreshToken))
		_, err = e.svc.Login(ctx, auth.Credentials{Identifier: "facts@example.com", Password: "Wrong-Password-1"})
		requireCode(t, store.ErrInvalidCredentials, err)

		rows := e.auditRows(store.AuditFilter{UserID: u.ID})
		var actions []string
		for _, r := range rows {
			actions = append(actions, r.Action+"/"+string(r.Outcome))
			assert.Equal(t, "2001:db8::1", r.IP, r.Action)
			assert.Equal(t, "curl/8.5.0", r.UserAgent, r.Action)
			assert.Equal(t, "req-facts", r.RequestID, r.Action)
		}
		assert.Equal(t, []string{"auth.login/failure", "auth.logout/success", "auth.refresh/success",
			"auth.login/success", "auth.register/success"}, actions)
		s := e.session(res.Tokens.SessionID)
		assert.Equal(t, "2001:db8::1", s.IP)
		assert.Equal(t, "curl", s.DeviceName)
	})
}
