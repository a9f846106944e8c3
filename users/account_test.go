package users_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/users"
)

func TestNewAccount(t *testing.T) {
	st := dbtest.SQLite(t)
	log := audit.New(st, nil)
	sess, err := sessions.New(sessions.Config{Store: st, Audit: log})
	require.NoError(t, err)
	t.Cleanup(sess.Close)
	tokens, err := auth.NewTokens(st, auth.TokenConfig{Algorithm: "HS256", Secret: make([]byte, 32), Issuer: "https://example.com", Audience: "https://example.com"})
	require.NoError(t, err)
	authSvc, err := auth.New(auth.Config{Store: st, Audit: log, Tokens: tokens, Sessions: sess, Mailer: notify.NewConsoleMailer(nil),
		BaseURL: &url.URL{Scheme: "https", Host: "example.com"}})
	require.NoError(t, err)
	full := users.AccountConfig{Store: st, Audit: log, Auth: authSvc, Sessions: sess, RBAC: rbac.New(st, log, nil)}

	for _, tc := range []struct {
		name string
		edit func(*users.AccountConfig)
		want string
	}{
		{"no store", func(c *users.AccountConfig) { c.Store = nil }, "Store"},
		{"no audit", func(c *users.AccountConfig) { c.Audit = nil }, "Audit"},
		{"no auth", func(c *users.AccountConfig) { c.Auth = nil }, "Auth"},
		{"no sessions", func(c *users.AccountConfig) { c.Sessions = nil }, "Sessions"},
		{"no rbac", func(c *users.AccountConfig) { c.RBAC = nil }, "RBAC"},
		{"negative window", func(c *users.AccountConfig) { c.RecoveryWindow = -time.Hour }, "RecoveryWindow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := full
			tc.edit(&c)
			_, err := users.NewAccount(c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	t.Run("defaults", func(t *testing.T) {
		a, err := users.NewAccount(full)
		require.NoError(t, err)
		assert.Equal(t, users.DefaultRecoveryWindow, a.RecoveryWindow())
		assert.Equal(t, 30*24*time.Hour, users.DefaultRecoveryWindow)
	})

	t.Run("EraserFunc", func(t *testing.T) {
		var got string
		var e users.Eraser = users.EraserFunc(func(_ context.Context, id string) error { got = id; return nil })
		require.NoError(t, e.Erase(context.Background(), "u1"))
		assert.Equal(t, "u1", got)
	})
}
