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

// TestUserCache shows the cached user row: fresh at once after this
// process's write, within the staleness bound after another instance's,
// never carrying the password hash, and handed out as copies.
func TestUserCache(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		now := fixed
		clock := func() time.Time { return now }
		newService := func(s store.Store) *sessions.Service {
			svc, err := sessions.New(sessions.Config{Store: s, Audit: audit.New(s, clock), Now: clock, Staleness: 5 * time.Second})
			require.NoError(t, err)
			t.Cleanup(svc.Close)
			return svc
		}
		here, elsewhere := newService(st), newService(dbtest.OtherProcess(st))
		u := &store.User{Email: "ada@example.com", PasswordHash: "$2a$04$secret", Bio: "one", CreatedAt: fixed, UpdatedAt: fixed}
		require.NoError(t, st.Users().Create(ctx, u))
		bio := func(svc *sessions.Service) string {
			got, _, err := svc.User(ctx, u.ID)
			require.NoError(t, err)
			assert.Empty(t, got.PasswordHash, "the cache holds no password hash")
			return got.Bio
		}
		require.Equal(t, "one", bio(here))
		require.Equal(t, "one", bio(elsewhere))

		_, err := st.Users().Update(ctx, u.ID, func(u *store.User) error { u.Bio = "two"; return nil })
		require.NoError(t, err)
		assert.Equal(t, "two", bio(here), "read-your-writes in the writing process")
		assert.Equal(t, "one", bio(elsewhere), "another instance that heard nothing serves its copy...")
		now = now.Add(5 * time.Second)
		assert.Equal(t, "two", bio(elsewhere), "...until the staleness bound")

		got, roles, err := here.User(ctx, u.ID)
		require.NoError(t, err)
		got.Bio = "changed by a caller"
		_ = append(roles, "admin")
		assert.Equal(t, "two", bio(here), "callers get copies")

		_, _, err = here.User(ctx, "0190f1c2-7a5e-7cc1-9d0e-3c1f2a4b5c6d")
		assert.ErrorIs(t, err, store.ErrUserNotFound)
	})
}
