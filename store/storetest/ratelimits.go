package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func rateLimitCases() []testCase {
	return []testCase{
		{"HitCounts", testRateLimitHitCounts},
		{"WindowsAndKeysAreSeparate", testRateLimitSeparate},
		{"ConcurrentHits", testRateLimitConcurrent},
		{"DeleteExpired", testRateLimitDeleteExpired},
	}
}

func testRateLimitHitCounts(t *testing.T, st store.Store) {
	for i := 1; i <= 3; i++ {
		n, err := st.RateLimits().Hit(ctx(t), "login:ada", base, base.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, i, n)
	}
}

func testRateLimitSeparate(t *testing.T, st store.Store) {
	_, err := st.RateLimits().Hit(ctx(t), "a", base, base.Add(time.Minute))
	require.NoError(t, err)
	n, err := st.RateLimits().Hit(ctx(t), "b", base, base.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "another key")
	n, err = st.RateLimits().Hit(ctx(t), "a", base.Add(time.Minute), base.Add(2*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "another window")
	n, err = st.RateLimits().Hit(ctx(t), "a", base.In(zone), base.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the same instant in another zone is the same window")
}

func testRateLimitConcurrent(t *testing.T, st store.Store) {
	const n = 30
	counts := make([]int, n)
	errs := parallel(n, func(i int) error {
		c, err := st.RateLimits().Hit(ctx(t), "k", base, base.Add(time.Minute))
		counts[i] = c
		return err
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	seen := map[int]bool{}
	for _, c := range counts {
		seen[c] = true
	}
	assert.Len(t, seen, n, "every hit counts once: counts 1..n each appear")
	assert.True(t, seen[n])
}

func testRateLimitDeleteExpired(t *testing.T, st store.Store) {
	for i := 0; i < 3; i++ {
		start := base.Add(time.Duration(i) * time.Minute)
		_, err := st.RateLimits().Hit(ctx(t), "k", start, start.Add(time.Minute))
		require.NoError(t, err)
	}
	n, err := st.RateLimits().DeleteExpired(ctx(t), base.Add(2*time.Minute+time.Second), 10)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	c, err := st.RateLimits().Hit(ctx(t), "k", base.Add(2*time.Minute), base.Add(3*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 2, c, "the live window stays")
	c, err = st.RateLimits().Hit(ctx(t), "k", base, base.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, c, "a deleted window starts over")
}
