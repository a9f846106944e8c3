package twofa_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/twofa"
)

// TestRecentAuth: enrolling or replacing a second factor asks
// Config.RecentAuth first, with the password given, and refuses as it
// says; the auth package and the HTTP tests check the real one.
func TestRecentAuth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		var asked []string
		refuse := false
		e := newTFEnv(t, st, func(c *twofa.Config) {
			c.RecentAuth = twofa.ReauthenticatorFunc(func(_ context.Context, password string) error {
				asked = append(asked, password)
				if refuse {
					return store.ErrReauthenticationRequired
				}
				return nil
			})
		})
		u := e.user("ada")
		ctx := store.NewContextWithActor(context.Background(), store.Actor{UserID: u.ID, SessionID: "s1"})

		for _, tc := range []struct {
			name string
			call func() error
		}{
			{"Setup", func() error { _, err := e.svc.Setup(ctx, u.ID, "pw-setup", store.MethodTOTP); return err }},
			{"Enable, before the code", func() error { _, err := e.svc.Enable(ctx, u.ID, "pw-enable", "000000"); return err }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				asked, refuse = nil, true
				tfRequireCode(t, store.ErrReauthenticationRequired, tc.call())
				assert.Len(t, asked, 1)
			})
		}
		assert.Empty(t, e.auditRows("2fa.enable", u.ID, store.OutcomeFailure), "the code was not checked")
		_, err := st.TwoFactor().Get(context.Background(), u.ID)
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing was set up")

		t.Run("PasswordPassedOn", func(t *testing.T) {
			asked, refuse = nil, false
			en, err := e.svc.Setup(ctx, u.ID, "pw-setup", store.MethodTOTP)
			require.NoError(t, err)
			_, err = e.svc.Enable(ctx, u.ID, "pw-enable", tfTOTP(t, en.Secret, e.clock.Now(), 0))
			require.NoError(t, err)
			assert.Equal(t, []string{"pw-setup", "pw-enable"}, asked)
		})
		t.Run("SomeoneElse", func(t *testing.T) {
			asked, refuse = nil, false
			b := e.user("bob")
			_, err := e.svc.Setup(ctx, b.ID, "", store.MethodTOTP)
			tfRequireCode(t, store.ErrPermissionDenied, err)
			assert.True(t, audit.Recorded(err))
			assert.Len(t, e.auditRows("2fa.setup", b.ID, store.OutcomeDenied), 1)
			assert.Empty(t, asked, "a fresh session of ada's says nothing about bob")

			sys := store.NewContextWithActor(context.Background(), store.SystemActor)
			_, err = e.svc.Setup(sys, b.ID, "", store.MethodTOTP)
			require.NoError(t, err, "the host's own code may")
		})
	})
}

func TestNewNeedsRecentAuth(t *testing.T) {
	st := dbtest.SQLite(t)
	_, err := twofa.New(twofa.Config{Store: st, Audit: audit.New(st, nil),
		Mail: notify.NewAsync(notify.NewConsoleMailer(io.Discard), nil, 1, time.Second)})
	require.ErrorContains(t, err, "RecentAuth")
}
