package auth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

// cacheTokens returns Tokens with a host key, a cache of size entries and a
// clock the test moves.
func cacheTokens(t *testing.T, size int) (*Tokens, *time.Time) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	var mu sync.Mutex
	tk, err := NewTokens(nil, TokenConfig{Issuer: "i", Audience: "a", Keys: []crypto.Signer{key},
		CacheSize: size, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	require.NoError(t, err)
	return tk, &now
}

func cached(tk *Tokens, tok string, now time.Time) bool {
	return tk.cache.get(sha256.Sum256([]byte(tok)), now) != nil
}

func TestTokenCacheHitsAndExpiry(t *testing.T) {
	ctx := context.Background()
	tk, now := cacheTokens(t, 0)
	tok, c, err := tk.Issue(ctx, Claims{UserID: "u", SessionID: "s"})
	require.NoError(t, err)
	assert.False(t, cached(tk, tok, *now), "issuing does not cache")
	_, err = tk.Verify(ctx, tok)
	require.NoError(t, err)
	assert.True(t, cached(tk, tok, *now))
	assert.Equal(t, 1, tk.cache.len())

	// At exp the entry is dropped on the hit, though the token still
	// verifies afresh within the leeway, and is not cached again.
	*now = c.ExpiresAt
	_, err = tk.Verify(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, 0, tk.cache.len())

	*now = c.ExpiresAt.Add(tk.leeway)
	_, err = tk.Verify(ctx, tok)
	assert.ErrorIs(t, err, store.ErrTokenExpired)
}

func TestTokenCacheForgetSession(t *testing.T) {
	ctx := context.Background()
	tk, now := cacheTokens(t, 0)
	var toks []string
	for i := 0; i < 20; i++ {
		tok, _, err := tk.Issue(ctx, Claims{UserID: "u", SessionID: fmt.Sprint("s", i%2)})
		require.NoError(t, err)
		_, err = tk.Verify(ctx, tok)
		require.NoError(t, err)
		toks = append(toks, tok)
	}
	assert.Equal(t, 20, tk.cache.len())
	tk.ForgetSession("s1")
	assert.Equal(t, 10, tk.cache.len())
	for i, tok := range toks {
		assert.Equal(t, i%2 == 0, cached(tk, tok, *now), i)
	}

	// A Verify that overlaps a ForgetSession does not leave its entry.
	epoch := tk.cache.epoch()
	tk.ForgetSession("s0")
	tk.cache.put(sha256.Sum256([]byte(toks[0])), &cacheEntry{claims: Claims{SessionID: "s0",
		ExpiresAt: now.Add(time.Minute)}}, epoch, *now)
	assert.Equal(t, 0, tk.cache.len())
}

func TestTokenCacheBound(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{1, 7, 100, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			tk, now := cacheTokens(t, size)
			var last string
			for i := 0; i < 3*size+10; i++ {
				tok, _, err := tk.Issue(ctx, Claims{UserID: "u", SessionID: "s"})
				require.NoError(t, err)
				_, err = tk.Verify(ctx, tok)
				require.NoError(t, err)
				last = tok
			}
			assert.LessOrEqual(t, tk.cache.len(), size)
			assert.GreaterOrEqual(t, tk.cache.len(), size/2)
			assert.True(t, cached(tk, last, *now), "the newest entry is kept")
		})
	}
}

func TestTokenCacheEvictsExpiredFirst(t *testing.T) {
	c := newTokenCache(1)
	now := time.Now()
	k1, k2 := cacheKey{1}, cacheKey{2}
	c.put(k1, &cacheEntry{claims: Claims{ExpiresAt: now.Add(time.Minute)}}, 0, now)
	c.put(k2, &cacheEntry{claims: Claims{ExpiresAt: now.Add(time.Minute)}}, 0, now)
	assert.Nil(t, c.get(k1, now))
	assert.NotNil(t, c.get(k2, now))

	// A full shard no larger than the probe always finds its expired entry.
	for round := 0; round < 20; round++ {
		c = newTokenCache(evictProbe)
		for i := 0; i < evictProbe; i++ {
			exp := now.Add(time.Minute)
			if i == round%evictProbe {
				exp = now.Add(-time.Second)
			}
			c.put(cacheKey{byte(i)}, &cacheEntry{claims: Claims{ExpiresAt: exp}}, 0, now)
		}
		c.put(cacheKey{99}, &cacheEntry{claims: Claims{ExpiresAt: now.Add(time.Minute)}}, 0, now)
		live := 0
		for i := 0; i < evictProbe; i++ {
			if c.get(cacheKey{byte(i)}, now) != nil {
				live++
			}
		}
		assert.Equal(t, evictProbe-1, live)
		assert.NotNil(t, c.get(cacheKey{99}, now))
	}
}

// TestCachedTokenOfRetiredKey: a cache hit still needs its key.
func TestCachedTokenOfRetiredKey(t *testing.T) {
	ctx := context.Background()
	tk, now := cacheTokens(t, 0)
	tok, _, err := tk.Issue(ctx, Claims{UserID: "u", SessionID: "s"})
	require.NoError(t, err)
	_, err = tk.Verify(ctx, tok)
	require.NoError(t, err)
	ks := *tk.keys.Load()
	k := *ks.signer
	k.retireAt = *now
	ks.byKid = map[string]*tokenKey{k.kid: &k}
	tk.keys.Store(&ks)
	_, err = tk.Verify(ctx, tok)
	assert.ErrorIs(t, err, store.ErrUnauthenticated)
}
