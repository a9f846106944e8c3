package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/ratelimit"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		c := newClock()
		c.Set(c.Now().Truncate(time.Minute).Add(10 * time.Second))
		a := ratelimit.NewStore(st, c.Now)
		b := ratelimit.NewStore(st, c.Now) // another instance on the same database
		lim := ratelimit.Limit{Requests: 3, Window: time.Minute}

		for i, l := range []*ratelimit.Store{a, b, a} {
			d, err := l.Allow(ctx, "forgot:ada@example.com", lim)
			require.NoError(t, err)
			assert.True(t, d.Allowed, "hit %d", i)
			assert.Equal(t, 2-i, d.Remaining)
			assert.Equal(t, 50*time.Second, d.Reset)
		}
		d, err := b.Allow(ctx, "forgot:ada@example.com", lim)
		require.NoError(t, err)
		assert.False(t, d.Allowed, "instances share the count")
		assert.Equal(t, 50*time.Second, d.RetryAfter)

		c.Advance(50 * time.Second)
		d, err = a.Allow(ctx, "forgot:ada@example.com", lim)
		require.NoError(t, err)
		assert.True(t, d.Allowed, "a new window")
	})
}
