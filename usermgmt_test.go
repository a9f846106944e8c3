package usermgmt_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

var fixed = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newManager(t *testing.T, st store.Store, opts ...usermgmt.Option) *usermgmt.Manager {
	t.Helper()
	opts = append([]usermgmt.Option{usermgmt.WithClock(func() time.Time { return fixed }),
		usermgmt.WithHasher(auth.Bcrypt{Cost: 4})}, opts...)
	m, err := usermgmt.New(st, opts...)
	require.NoError(t, err)
	return m
}

func TestNew(t *testing.T) {
	st := dbtest.SQLite(t)
	tests := []struct {
		name string
		opts []usermgmt.Option
		err  string
	}{
		{"Defaults", nil, ""},
		{"NilLogger", []usermgmt.Option{usermgmt.WithLogger(nil)}, "WithLogger"},
		{"NilClock", []usermgmt.Option{usermgmt.WithClock(nil)}, "WithClock"},
		{"NilMailer", []usermgmt.Option{usermgmt.WithMailer(nil)}, "WithMailer"},
		{"NilSMS", []usermgmt.Option{usermgmt.WithSMSSender(nil)}, "WithSMSSender"},
		{"NilHasher", []usermgmt.Option{usermgmt.WithHasher(nil)}, "WithHasher"},
		{"RelativeBaseURL", []usermgmt.Option{usermgmt.WithBaseURL("/app")}, "WithBaseURL"},
		{"FTPBaseURL", []usermgmt.Option{usermgmt.WithBaseURL("ftp://x")}, "WithBaseURL"},
		{"BodyLimit", []usermgmt.Option{usermgmt.WithBodyLimit(0)}, "WithBodyLimit"},
		{"BadProxy", []usermgmt.Option{usermgmt.WithTrustedProxies("nope")}, "WithTrustedProxies"},
		{"GoodProxies", []usermgmt.Option{usermgmt.WithTrustedProxies("10.0.0.0/8", "::1")}, ""},
		{"CleanupInterval", []usermgmt.Option{usermgmt.WithCleanupInterval(0)}, "WithCleanupInterval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := usermgmt.New(st, tc.opts...)
			if tc.err == "" {
				require.NoError(t, err)
				assert.NotNil(t, m.Handler())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
	t.Run("NilStore", func(t *testing.T) {
		_, err := usermgmt.New(nil)
		assert.Error(t, err)
	})
}

func TestEnsureAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		m := newManager(t, st)
		ctx := context.Background()

		t.Run("Creates", func(t *testing.T) {
			require.NoError(t, m.EnsureAdmin(ctx, " Admin@Example.com ", "correct horse"))
			u, err := st.Users().ByEmail(ctx, "admin@example.com")
			require.NoError(t, err)
			assert.Equal(t, "admin@example.com", u.Email)
			assert.True(t, u.EmailVerified)
			assert.Equal(t, store.StatusActive, u.Status)
			ok, err := auth.Passwords{Preferred: auth.Bcrypt{Cost: 4}}.Verify(u.PasswordHash, "correct horse")
			require.NoError(t, err)
			assert.True(t, ok)
			roles, err := st.Roles().RolesOf(ctx, u.ID)
			require.NoError(t, err)
			require.Len(t, roles, 1)
			assert.Equal(t, "admin", roles[0].Name)
			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "admin.bootstrap"}, store.ListRequest{Limit: store.MaxLimit})
			entries := page.Items
			require.NoError(t, err)
			assert.Len(t, entries, 1)
		})

		t.Run("UpdatesExisting", func(t *testing.T) {
			u, err := st.Users().ByEmail(ctx, "admin@example.com")
			require.NoError(t, err)
			_, err = st.Users().Update(ctx, u.ID, func(u *store.User) error {
				u.Status = store.StatusSuspended
				return nil
			})
			require.NoError(t, err)
			require.NoError(t, m.EnsureAdmin(ctx, "admin@example.com", "another password"))
			u2, err := st.Users().ByEmail(ctx, "admin@example.com")
			require.NoError(t, err)
			assert.Equal(t, u.ID, u2.ID)
			assert.Equal(t, store.StatusActive, u2.Status)
			assert.NotEqual(t, u.PasswordHash, u2.PasswordHash)
			roles, err := st.Roles().RolesOf(ctx, u.ID)
			require.NoError(t, err)
			assert.Len(t, roles, 1)
		})

		t.Run("BadInput", func(t *testing.T) {
			assert.ErrorIs(t, m.EnsureAdmin(ctx, "not-an-email", "long enough"), store.ErrValidation)
			assert.ErrorIs(t, m.EnsureAdmin(ctx, "Ann <a@example.com>", "long enough"), store.ErrValidation)
			assert.ErrorIs(t, m.EnsureAdmin(ctx, "a@example.com", "short"), store.ErrWeakPassword)
			// The configured policy applies, not a length check of its own.
			assert.ErrorIs(t, m.EnsureAdmin(ctx, "a@example.com", "password123"), store.ErrWeakPassword, "a common password")
			assert.ErrorIs(t, m.EnsureAdmin(ctx, "adalovelace@example.com", "adalovelace!"), store.ErrWeakPassword, "contains the email")
		})
	})
}

func TestRunCleansUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		u := &store.User{Email: "a@example.com", CreatedAt: fixed, UpdatedAt: fixed}
		require.NoError(t, st.Users().Create(ctx, u))
		old := fixed.Add(-48 * time.Hour)
		live := &store.Session{UserID: u.ID, CreatedAt: fixed, ExpiresAt: fixed.Add(time.Hour)}
		require.NoError(t, st.Sessions().Create(ctx, live))
		var stale []string
		for i := 0; i < 3; i++ {
			s := &store.Session{UserID: u.ID, CreatedAt: old, ExpiresAt: old.Add(time.Hour)}
			require.NoError(t, st.Sessions().Create(ctx, s))
			stale = append(stale, s.ID)
		}
		m := newManager(t, st, usermgmt.WithCleanupInterval(time.Hour))
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- m.Run(runCtx) }()
		require.Eventually(t, func() bool {
			for _, id := range stale {
				if _, err := st.Sessions().ByID(ctx, id); !errors.Is(err, store.ErrSessionNotFound) {
					return false
				}
			}
			return true
		}, 10*time.Second, 20*time.Millisecond)
		cancel()
		require.NoError(t, <-done)
		_, err := st.Sessions().ByID(ctx, live.ID)
		assert.NoError(t, err, "a live session survives cleanup")
	})
}
