package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/ratelimit"
)

func newClock() *testkit.Clock { return testkit.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

func TestMemory(t *testing.T) {
	ctx := context.Background()
	lim := ratelimit.Limit{Requests: 5, Window: time.Minute}

	t.Run("BurstThenRefuse", func(t *testing.T) {
		c := newClock()
		m := ratelimit.NewMemory(c.Now)
		for i := 4; i >= 0; i-- {
			d, err := m.Allow(ctx, "k", lim)
			require.NoError(t, err)
			assert.True(t, d.Allowed)
			assert.Equal(t, i, d.Remaining)
			assert.Equal(t, 5, d.Limit)
		}
		d, err := m.Allow(ctx, "k", lim)
		require.NoError(t, err)
		assert.False(t, d.Allowed)
		assert.Equal(t, 0, d.Remaining)
		assert.Equal(t, 12*time.Second, d.RetryAfter)
	})

	t.Run("RefillsSmoothly", func(t *testing.T) {
		c := newClock()
		m := ratelimit.NewMemory(c.Now)
		for i := 0; i < 5; i++ {
			_, _ = m.Allow(ctx, "k", lim)
		}
		c.Advance(12 * time.Second)
		d, _ := m.Allow(ctx, "k", lim)
		assert.True(t, d.Allowed, "one interval later one request fits")
		d, _ = m.Allow(ctx, "k", lim)
		assert.False(t, d.Allowed)
		c.Advance(time.Minute)
		d, _ = m.Allow(ctx, "k", lim)
		assert.True(t, d.Allowed)
		assert.Equal(t, 4, d.Remaining)
	})

	t.Run("KeysAreIndependent", func(t *testing.T) {
		m := ratelimit.NewMemory(newClock().Now)
		for i := 0; i < 5; i++ {
			_, _ = m.Allow(ctx, "a", lim)
		}
		d, _ := m.Allow(ctx, "b", lim)
		assert.True(t, d.Allowed)
	})

	t.Run("Off", func(t *testing.T) {
		m := ratelimit.NewMemory(nil)
		for i := 0; i < 100; i++ {
			d, _ := m.Allow(ctx, "k", ratelimit.Limit{})
			require.True(t, d.Allowed)
		}
	})

	t.Run("ConcurrentCallsEachCount", func(t *testing.T) {
		m := ratelimit.NewMemory(newClock().Now)
		big := ratelimit.Limit{Requests: 100, Window: time.Minute}
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for i := 0; i < 150; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, _ := m.Allow(ctx, "k", big)
				if d.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, 100, allowed)
	})
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := ratelimit.NewMemory(nil)
	lim := ratelimit.Limit{Requests: 1 << 30, Window: time.Minute}
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = m.Allow(ctx, "ip:203.0.113.7", lim)
		}
	})
}
