package users_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/users"
)

func TestProfile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		svc := users.New(users.Config{Store: st, Audit: audit.New(st, nil)})
		u := &store.User{Email: "ada@example.com", Username: "ada", CreatedAt: now, UpdatedAt: now}
		require.NoError(t, st.Users().Create(ctx, u))
		for _, name := range []string{store.RoleUser, store.RoleModerator} {
			r, err := st.Roles().ByName(ctx, name)
			require.NoError(t, err)
			require.NoError(t, st.Roles().Assign(ctx, u.ID, r.ID, now))
		}

		p, err := svc.Profile(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, "ada@example.com", p.User.Email)
		assert.Equal(t, []string{"moderator", "user"}, p.Roles)

		got, err := svc.Get(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, u.ID, got.ID)

		for _, id := range []string{"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "nope"} {
			_, err = svc.Profile(ctx, id)
			assert.ErrorIs(t, err, store.ErrUserNotFound)
			_, err = svc.Get(ctx, id)
			assert.ErrorIs(t, err, store.ErrUserNotFound)
		}
	})
}
