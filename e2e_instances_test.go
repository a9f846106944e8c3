package usermgmt_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
)

// TestInstancesHearRevocations runs two Managers on one PostgreSQL, as two
// instances behind a load balancer: a session revoked on one is refused by
// the other within milliseconds (the goal is 100 ms; the bound
// asserted here is a generous second, far below the 5 s staleness bound,
// so only the notice can meet it), and, with the notification connection
// cut, still within the staleness bound.
func TestInstancesHearRevocations(t *testing.T) {
	sa, sb := dbtest.PostgresInstances(t)
	a, b := newE2E(t, sa), newE2E(t, sb)
	a.register(t, "ada@example.com")
	ctx := context.Background()
	// signIn opens a session on a and lets b cache it.
	signIn := func(t *testing.T) (token string, p *auth.Principal) {
		res, err := a.m.Auth().Login(ctx, auth.Credentials{Identifier: "ada@example.com", Password: e2ePassword})
		require.NoError(t, err)
		p, err = b.m.Auth().Authenticate(ctx, res.Tokens.AccessToken, "")
		require.NoError(t, err)
		return res.Tokens.AccessToken, p
	}
	refusedByB := func(token string) bool {
		_, err := b.m.Auth().Authenticate(ctx, token, "")
		return err != nil
	}

	t.Run("Notified", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			token, p := signIn(t)
			start := time.Now()
			require.NoError(t, a.m.Sessions().Revoke(ctx, p.UserID, p.SessionID))
			assert.Eventually(t, func() bool { return refusedByB(token) }, time.Second, time.Millisecond)
			t.Logf("refused by the other instance %s after the revocation began", time.Since(start))
		}
	})

	t.Run("RolesNotified", func(t *testing.T) {
		token, p := signIn(t)
		require.NotEmpty(t, p.Roles)
		sys := store.NewContextWithActor(ctx, store.SystemActor)
		roles, err := a.m.Store().Roles().RolesOf(ctx, p.UserID)
		require.NoError(t, err)
		for _, r := range roles {
			require.NoError(t, a.m.RBAC().Unassign(sys, p.UserID, r.ID))
		}
		assert.Eventually(t, func() bool {
			q, err := b.m.Auth().Authenticate(ctx, token, "")
			return err == nil && len(q.Roles) == 0
		}, time.Second, time.Millisecond)
	})

	t.Run("CutStillWithinStaleness", func(t *testing.T) {
		restore := sb.CutNotifications()
		defer restore()
		token, p := signIn(t)
		require.NoError(t, a.m.Sessions().Revoke(ctx, p.UserID, p.SessionID))
		time.Sleep(200 * time.Millisecond)
		assert.False(t, refusedByB(token), "without notices b serves its cached state (its clock has not moved)")
		b.clock.Advance(sessions.DefaultStaleness)
		assert.True(t, refusedByB(token), "past the staleness bound b asks the store")
	})
}
