package admin_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

// bulkNow is the fixed clock of the bulk, import and export tests.
var bulkNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// bulkManager returns a Manager on st with a fixed clock and cheap hashes.
func bulkManager(t *testing.T, st store.Store) *usermgmt.Manager {
	t.Helper()
	m, err := usermgmt.New(st, usermgmt.WithClock(func() time.Time { return bulkNow }),
		usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

// seedUser creates a user of the status holding the roles (by name).
func seedUser(t *testing.T, st store.Store, email string, status store.Status, roles ...string) string {
	t.Helper()
	ctx := context.Background()
	u := &store.User{Email: email, Status: status, Visibility: store.VisibilityPublic,
		Preferences: store.DefaultPreferences(), CreatedAt: bulkNow, UpdatedAt: bulkNow}
	require.NoError(t, st.Users().Create(ctx, u))
	for _, name := range roles {
		r, err := st.Roles().ByName(ctx, name)
		require.NoError(t, err)
		require.NoError(t, st.Roles().Assign(ctx, u.ID, r.ID, bulkNow))
	}
	return u.ID
}

// seedRole creates a custom role granting perms.
func seedRole(t *testing.T, st store.Store, name string, perms ...string) *store.Role {
	t.Helper()
	r := &store.Role{Name: name, Permissions: perms, CreatedAt: bulkNow, UpdatedAt: bulkNow}
	require.NoError(t, st.Roles().Create(context.Background(), r))
	return r
}

// actingAs returns a context whose actor is the user.
func actingAs(userID string) context.Context {
	return store.NewContextWithActor(context.Background(), store.Actor{UserID: userID})
}

// statusOf returns the user's status.
func statusOf(t *testing.T, st store.Store, id string) store.Status {
	t.Helper()
	u, err := st.Users().ByID(context.Background(), id)
	require.NoError(t, err)
	return u.Status
}

// auditRows returns the audit entries of action, oldest first.
func auditRows(t *testing.T, st store.Store, action string) []store.AuditEntry {
	t.Helper()
	page, err := st.Audit().List(context.Background(), store.AuditFilter{Action: action},
		store.ListRequest{Limit: 100, Sort: store.Sort{Field: "createdAt"}})
	require.NoError(t, err)
	return page.Items
}
