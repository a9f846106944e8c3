package auth

import (
	"sync"
	"sync/atomic"
	"time"
)

// cacheKey is the SHA-256 of a token string. Hashing costs a fraction of a
// microsecond; in exchange the cache holds no bearer tokens (a heap dump of
// it replays nothing), every key has the same small size whatever the input,
// and no lookup compares attacker-chosen bytes against a live token.
type cacheKey [32]byte

// cacheEntry is a verified token: its claims and the kid that signed it,
// which must still verify when the entry is used.
type cacheEntry struct {
	claims Claims
	kid    string
}

// tokenCache remembers verified tokens until they expire. It is split into
// shards, picked by the first byte of the key, each a map under its own
// RWMutex, so hits on different tokens rarely meet and a hit takes only a
// read lock. Each shard holds at most size/shards entries; a full shard
// evicts a random one (Go randomises where map iteration starts),
// preferring an expired entry among the few it looks at.
type tokenCache struct {
	shards   []cacheShard
	mask     byte
	perShard int
	// forgets counts ForgetSession calls, so that an entry stored by a
	// Verify that overlapped one is dropped again.
	forgets atomic.Uint64
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[cacheKey]*cacheEntry
	_  [32]byte // a shard per 64-byte cache line: no false sharing
}

// evictProbe is how many entries a full shard looks at for an expired one.
const evictProbe = 4

func newTokenCache(size int) *tokenCache {
	n := 64
	for n > 1 && size/n < 16 {
		n /= 2
	}
	c := &tokenCache{shards: make([]cacheShard, n), mask: byte(n - 1), perShard: max(size/n, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[cacheKey]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(k cacheKey) *cacheShard { return &c.shards[k[0]&c.mask] }

// get returns the entry for k unless it is missing or expired at now; an
// expired entry is dropped, so the cache never answers past exp.
func (c *tokenCache) get(k cacheKey, now time.Time) *cacheEntry {
	s := c.shard(k)
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	if e == nil {
		return nil
	}
	if !now.Before(e.claims.ExpiresAt) {
		s.mu.Lock()
		if s.m[k] == e {
			delete(s.m, k)
		}
		s.mu.Unlock()
		return nil
	}
	return e
}

// epoch is read before a verification whose result put may store.
func (c *tokenCache) epoch() uint64 { return c.forgets.Load() }

// put stores e under k. epoch is what c.epoch returned before the token
// was verified: if a ForgetSession ran since, it may have missed e, so e is
// dropped again (a little caching is lost, never a revocation).
func (c *tokenCache) put(k cacheKey, e *cacheEntry, epoch uint64, now time.Time) {
	s := c.shard(k)
	s.mu.Lock()
	if _, ok := s.m[k]; !ok && len(s.m) >= c.perShard {
		s.evictOne(now)
	}
	s.m[k] = e
	s.mu.Unlock()
	if c.forgets.Load() != epoch {
		s.mu.Lock()
		if s.m[k] == e {
			delete(s.m, k)
		}
		s.mu.Unlock()
	}
}

func (s *cacheShard) evictOne(now time.Time) {
	var victim cacheKey
	n := 0
	for k, e := range s.m {
		if n == 0 {
			victim = k
		}
		if !now.Before(e.claims.ExpiresAt) {
			victim = k
			break
		}
		if n++; n == evictProbe {
			break
		}
	}
	delete(s.m, victim)
}

// forgetSession drops every entry of the session.
func (c *tokenCache) forgetSession(sessionID string) {
	c.forgets.Add(1)
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if e.claims.SessionID == sessionID {
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}

// len counts the entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
