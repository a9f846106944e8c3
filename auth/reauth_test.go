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

// actorCtx is what the HTTP API hands a service: the request facts and
// the actor of a signed-in session.
func (e *svcEnv) actorCtx(pair *auth.TokenPair) context.Context {
	e.t.Helper()
	p, err := e.svc.Authenticate(svcCtx(), pair.AccessToken, "")
	require.NoError(e.t, err)
	return store.NewContextWithActor(svcCtx(), p.Actor())
}

// refreshed is the session's pair after a refresh, as a client holds it
// once the first access token expired.
func (e *svcEnv) refreshed(p *auth.TokenPair) *auth.TokenPair {
	e.t.Helper()
	fresh, err := e.svc.Refresh(svcCtx(), p.RefreshToken, "")
	require.NoError(e.t, err)
	return fresh
}

func TestRequireRecentAuth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		for i, tc := range []struct {
			name string
			// before runs after the sign-in and returns the context and
			// password to check.
			before  func(e *svcEnv, pair *auth.TokenPair) (context.Context, string)
			want    *store.Error // nil: passes
			audited string       // the reason of the denied audit row, if any
			window  time.Duration
		}{
			{name: "fresh sign-in", before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
				return e.actorCtx(p), ""
			}},
			{name: "at the end of the window", before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
				e.clock.Advance(15 * time.Minute)
				return e.actorCtx(p), ""
			}},
			{name: "session older than the window", want: store.ErrReauthenticationRequired, audited: "reauthentication_required",
				before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
					e.clock.Advance(15*time.Minute + time.Second)
					return e.actorCtx(p), ""
				}},
			{name: "a refresh is no sign-in", want: store.ErrReauthenticationRequired, audited: "reauthentication_required",
				before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
					e.clock.Advance(20 * time.Minute)
					return e.actorCtx(e.refreshed(p)), ""
				}},
			{name: "old session with the password", before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
				e.clock.Advance(time.Hour)
				return e.actorCtx(e.refreshed(p)), svcPassword
			}},
			{name: "old session after a step-up", before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
				e.clock.Advance(time.Hour)
				require.NoError(e.t, e.st.Sessions().MarkMFAVerified(context.Background(), p.SessionID, e.clock.Now()))
				e.clock.Advance(10 * time.Minute)
				return e.actorCtx(e.refreshed(p)), ""
			}},
			{name: "step-up older than the window", want: store.ErrReauthenticationRequired, audited: "reauthentication_required",
				before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
					e.clock.Advance(time.Hour)
					require.NoError(e.t, e.st.Sessions().MarkMFAVerified(context.Background(), p.SessionID, e.clock.Now()))
					e.clock.Advance(16 * time.Minute)
					return e.actorCtx(e.refreshed(p)), ""
				}},
			{name: "wrong password, even on a fresh session", want: store.ErrInvalidPassword, audited: "invalid_password",
				before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
					return e.actorCtx(p), "not-the-password"
				}},
			{name: "a shorter window", window: time.Minute, want: store.ErrReauthenticationRequired, audited: "reauthentication_required",
				before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
					e.clock.Advance(2 * time.Minute)
					return e.actorCtx(p), ""
				}},
			{name: "no actor", want: store.ErrUnauthenticated, before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
				return svcCtx(), ""
			}},
			{name: "the host's own code", before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
				e.clock.Advance(time.Hour)
				return store.NewContextWithActor(svcCtx(), store.SystemActor), ""
			}},
			{name: "an admin impersonating", want: store.ErrReauthenticationRequired, audited: "impersonating",
				before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
					admin := e.register("admin@example.com", "boss")
					a := store.Actor{UserID: p.User.ID, SessionID: p.SessionID, ImpersonatorID: admin.ID}
					return store.NewContextWithActor(svcCtx(), a), ""
				}},
			{name: "another user's session", want: store.ErrReauthenticationRequired, audited: "reauthentication_required",
				before: func(e *svcEnv, p *auth.TokenPair) (context.Context, string) {
					other := e.register("bob@example.com", "bob")
					a := store.Actor{UserID: other.ID, SessionID: p.SessionID}
					return store.NewContextWithActor(svcCtx(), a), ""
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := newSvcEnv(t, st, func(c *auth.Config) { c.PrivilegedWindow = tc.window })
				email := fmt.Sprintf("ada%d@example.com", i)
				e.register(email, fmt.Sprintf("ada%d", i))
				ctx, password := tc.before(e, e.login(email, svcPassword))
				// Each case's clock starts afresh on one store, so rows are
				// told apart by their target, not by their order.
				a, _ := store.ActorFromContext(ctx)
				denied := store.AuditFilter{Action: "auth.reauthenticate", Outcome: store.OutcomeDenied, TargetID: a.UserID}
				before := len(e.auditRows(denied))
				err := e.svc.RequireRecentAuth(ctx, password)
				if tc.want == nil {
					require.NoError(t, err)
				} else {
					requireCode(t, tc.want, err)
				}
				rows := e.auditRows(denied)
				if tc.audited == "" {
					assert.Len(t, rows, before, "nothing audited as denied")
					return
				}
				assert.True(t, audit.Recorded(err), "the caller adds no audit row")
				require.Len(t, rows, before+1)
				assert.Equal(t, tc.audited, rows[0].Metadata["reason"])
			})
		}
	})
}

// TestRequireRecentAuthLockout: wrong passwords count toward the login
// lock-out, as on change-password, so a stolen access token buys no more
// guesses than the login form.
func TestRequireRecentAuthLockout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		e.register("ada@example.com", "ada")
		ctx := e.actorCtx(e.login("ada@example.com", svcPassword))
		for range 5 {
			requireCode(t, store.ErrInvalidPassword, e.svc.RequireRecentAuth(ctx, "guess"))
		}
		requireCode(t, store.ErrAccountLocked, e.svc.RequireRecentAuth(ctx, svcPassword))
		_, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: "ada@example.com", Password: svcPassword})
		requireCode(t, store.ErrAccountLocked, err)
	})
}
