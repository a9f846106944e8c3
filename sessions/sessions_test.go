package sessions_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

var fixed = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		now := func() time.Time { return fixed }
		svc, err := sessions.New(sessions.Config{Store: st, Audit: audit.New(st, now), Now: now, Staleness: time.Hour})
		require.NoError(t, err)
		t.Cleanup(svc.Close)
		newUser := func(email string) string {
			u := &store.User{Email: email, CreatedAt: fixed, UpdatedAt: fixed}
			require.NoError(t, st.Users().Create(ctx, u))
			return u.ID
		}
		ada, bob := newUser("ada@example.com"), newUser("bob@example.com")
		open := func(user string, created time.Time) string {
			s := &store.Session{UserID: user, DeviceName: "Firefox on Linux", CreatedAt: created, ExpiresAt: fixed.Add(time.Hour)}
			require.NoError(t, st.Sessions().Create(ctx, s))
			return s.ID
		}
		a1, a2, a3 := open(ada, fixed.Add(-3*time.Minute)), open(ada, fixed.Add(-2*time.Minute)), open(ada, fixed.Add(-time.Minute))
		b1 := open(bob, fixed)
		// live reports what the (hour-long) cache says of a session.
		live := func(id string) bool {
			st, err := svc.State(ctx, id)
			require.NoError(t, err)
			return st.Active(fixed)
		}
		for _, id := range []string{a1, a2, a3, b1} {
			require.True(t, live(id), "cached as live")
		}

		page, err := svc.List(ctx, ada, a2, store.ListRequest{})
		require.NoError(t, err)
		list := page.Items
		require.Len(t, list, 3)
		assert.Equal(t, a3, list[0].ID, "newest first")
		for _, s := range list {
			assert.Equal(t, s.ID == a2, s.Current)
		}

		t.Run("Paged", func(t *testing.T) {
			p1, err := svc.List(ctx, ada, a2, store.ListRequest{Limit: 2, Sort: store.Sort{Field: "createdAt"}, IncludeTotal: true})
			require.NoError(t, err)
			require.Len(t, p1.Items, 2)
			assert.Equal(t, []string{a1, a2}, []string{p1.Items[0].ID, p1.Items[1].ID}, "oldest first when asked")
			assert.True(t, p1.Items[1].Current)
			require.NotNil(t, p1.Total)
			assert.Equal(t, 3, *p1.Total)
			p2, err := svc.List(ctx, ada, a2, store.ListRequest{Limit: 2, Sort: store.Sort{Field: "createdAt"}, Cursor: p1.NextCursor})
			require.NoError(t, err)
			require.Len(t, p2.Items, 1)
			assert.Equal(t, a3, p2.Items[0].ID)
			assert.Empty(t, p2.NextCursor)
			_, err = svc.List(ctx, ada, a2, store.ListRequest{Sort: store.Sort{Field: "ip"}})
			assert.ErrorIs(t, err, store.ErrValidation)
		})

		t.Run("OthersSessionIsNotFound", func(t *testing.T) {
			assert.ErrorIs(t, svc.Revoke(ctx, ada, b1), store.ErrSessionNotFound)
			assert.ErrorIs(t, svc.Revoke(ctx, ada, "nope"), store.ErrSessionNotFound)
			assert.True(t, live(b1))
		})
		t.Run("RevokeOne", func(t *testing.T) {
			require.NoError(t, svc.Revoke(ctx, ada, a1))
			assert.False(t, live(a1), "refused at once, though the cache is an hour long")
			assert.True(t, live(a2))
			assert.ErrorIs(t, svc.Revoke(ctx, ada, a1), store.ErrSessionNotFound, "already revoked")
		})
		t.Run("RevokeOthers", func(t *testing.T) {
			n, err := svc.RevokeOthers(ctx, ada, a2)
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			assert.False(t, live(a3), "refused at once")
			assert.True(t, live(a2), "the current one stays")
			assert.True(t, live(b1), "another user's stay")
			page, err := svc.List(ctx, ada, a2, store.ListRequest{})
			require.NoError(t, err)
			list := page.Items
			require.Len(t, list, 1)
			assert.Equal(t, a2, list[0].ID)
		})
		t.Run("UserChangeDropsState", func(t *testing.T) {
			require.True(t, live(b1))
			_, err := st.Users().Update(ctx, bob, func(u *store.User) error {
				u.Status = store.StatusSuspended
				return nil
			})
			require.NoError(t, err)
			assert.False(t, live(b1), "a suspension shows at once")
		})
		t.Run("RoleChangeDropsState", func(t *testing.T) {
			role, err := st.Roles().ByName(ctx, store.RoleModerator)
			require.NoError(t, err)
			require.NoError(t, st.Roles().Assign(ctx, ada, role.ID, fixed))
			got, err := svc.State(ctx, a2)
			require.NoError(t, err)
			assert.True(t, got.Permissions["AUDIT_READ"], "a new role shows at once")
		})
		t.Run("Audited", func(t *testing.T) {
			for _, action := range []string{"session.revoke", "session.revoke_all"} {
				n, err := st.Audit().Count(ctx, store.AuditFilter{Action: action, TargetID: ada})
				require.NoError(t, err)
				assert.Equal(t, 1, n, action)
			}
		})
	})
}

// TestRevokeAllManySessions revokes more sessions than a store page holds:
// every one is refused at once, though each was cached as live.
func TestRevokeAllManySessions(t *testing.T) {
	st := dbtest.SQLite(t)
	ctx := context.Background()
	now := func() time.Time { return fixed }
	svc, err := sessions.New(sessions.Config{Store: st, Audit: audit.New(st, now), Now: now, Staleness: time.Hour})
	require.NoError(t, err)
	t.Cleanup(svc.Close)
	u := &store.User{Email: "ada@example.com", CreatedAt: fixed, UpdatedAt: fixed}
	require.NoError(t, st.Users().Create(ctx, u))
	const n = store.MaxLimit + 5
	ids := make([]string, n)
	for i := range n {
		sess := &store.Session{UserID: u.ID, CreatedAt: fixed, ExpiresAt: fixed.Add(time.Hour)}
		require.NoError(t, st.Sessions().Create(ctx, sess))
		ids[i] = sess.ID
		state, err := svc.State(ctx, sess.ID)
		require.NoError(t, err)
		require.True(t, state.Active(fixed))
	}
	got, err := svc.RevokeAll(ctx, u.ID, "admin")
	require.NoError(t, err)
	assert.Equal(t, n, got)
	for _, id := range ids {
		state, err := svc.State(ctx, id)
		require.NoError(t, err)
		assert.False(t, state.Active(fixed), "every revoked session is refused at once")
	}
}
