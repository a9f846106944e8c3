package datagen_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/datagen"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestLoad(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		const n = 3000
		res, err := datagen.Load(ctx, st, datagen.Config{Users: n, Now: now, BcryptCost: 4})
		require.NoError(t, err)
		assert.Equal(t, n, res.Users)
		assert.Equal(t, 1, res.Admins, "user 0 is the one admin of 3,000")
		assert.Equal(t, 2, res.Moderators)
		assert.InDelta(t, 0.15*n, res.TwoFactor, 0.05*n, "about 15 %% have 2FA")
		assert.Positive(t, res.Sessions)

		page, err := st.Users().List(ctx, store.UserFilter{}, store.ListRequest{Limit: 1, IncludeTotal: true})
		require.NoError(t, err)
		require.NotNil(t, page.Total)
		assert.Equal(t, n, *page.Total)

		statuses := map[store.Status]int{}
		for _, i := range []int{0, 1, 2, 17, 999, 2999} {
			u, err := st.Users().ByEmail(ctx, datagen.Email(i))
			require.NoError(t, err, "user %d", i)
			assert.Equal(t, datagen.Username(i), u.Username)
			assert.True(t, u.CreatedAt.Before(now))
			ok, err := auth.Passwords{Preferred: auth.Bcrypt{}}.Verify(u.PasswordHash, res.Password)
			require.NoError(t, err)
			assert.True(t, ok, "every account signs in with the generated password")
			statuses[u.Status]++
		}
		admin, err := st.Users().ByEmail(ctx, datagen.Email(0))
		require.NoError(t, err)
		roles, err := st.Roles().RolesOf(ctx, admin.ID)
		require.NoError(t, err)
		require.Len(t, roles, 1)
		assert.Equal(t, "admin", roles[0].Name)
	})
}

func TestEmailsAreUnique(t *testing.T) {
	seen := map[string]int{}
	for i := 0; i < 20000; i++ {
		e := datagen.Email(i)
		if j, dup := seen[e]; dup {
			t.Fatalf("Email(%d) = Email(%d) = %s", i, j, e)
		}
		seen[e] = i
	}
}
