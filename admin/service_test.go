package admin_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// TestNoActorNoAccess calls every method from Go without an actor in the
// context: each refuses with ErrUnauthenticated and changes nothing.
func TestNoActorNoAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		quiet := notify.MailerFunc(func(context.Context, notify.Message) error { return nil })
		m, err := usermgmt.New(st, usermgmt.WithMailer(quiet), usermgmt.WithHasher(auth.Bcrypt{Cost: 4}))
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		sys := store.NewContextWithActor(context.Background(), store.SystemActor)
		u, err := m.Admin().Create(sys, admin.NewUser{Email: "ada@example.com", Password: "violet-harbour-lantern-42"})
		require.NoError(t, err)
		a, ctx := m.Admin(), context.Background()
		first := "Eve"
		calls := map[string]func() error{
			"List":   func() error { _, err := a.List(ctx, admin.UserFilter{}, store.ListRequest{}); return err },
			"User":   func() error { _, err := a.User(ctx, u.ID); return err },
			"Create": func() error { _, err := a.Create(ctx, admin.NewUser{Email: "eve@example.com"}); return err },
			"Update": func() error { _, err := a.Update(ctx, u.ID, admin.UserChange{}); return err },
			"UpdateName": func() error {
				ch := admin.UserChange{}
				ch.FirstName = &first
				_, err := a.Update(ctx, u.ID, ch)
				return err
			},
			"Delete":        func() error { return a.Delete(ctx, u.ID, false) },
			"Erase":         func() error { return a.Delete(ctx, u.ID, true) },
			"Lock":          func() error { return a.Lock(ctx, u.ID) },
			"Unlock":        func() error { return a.Unlock(ctx, u.ID) },
			"Suspend":       func() error { _, err := a.Suspend(ctx, u.ID, admin.Suspension{Reason: "x"}); return err },
			"Reactivate":    func() error { _, err := a.Reactivate(ctx, u.ID); return err },
			"VerifyEmail":   func() error { _, err := a.VerifyEmail(ctx, u.ID); return err },
			"ResetPassword": func() error { return a.ResetPassword(ctx, u.ID) },
			"ResetTwoFA":    func() error { _, err := a.ResetTwoFactor(ctx, u.ID); return err },
			"Impersonate":   func() error { _, err := a.Impersonate(ctx, u.ID); return err },
		}
		for name, call := range calls {
			t.Run(name, func(t *testing.T) {
				assert.ErrorIs(t, call(), store.ErrUnauthenticated)
			})
		}
		got, err := st.Users().ByID(context.Background(), u.ID)
		require.NoError(t, err)
		assert.Equal(t, store.StatusActive, got.Status)
		assert.Empty(t, got.FirstName)
		_, err = st.Users().ByEmail(context.Background(), "eve@example.com")
		assert.ErrorIs(t, err, store.ErrUserNotFound)
		// The system actor may not impersonate: an impersonation names a
		// person.
		_, err = a.Impersonate(sys, u.ID)
		assert.ErrorIs(t, err, store.ErrPermissionDenied)
	})
}
