package sessions

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// DefaultStaleness is how long, by default, a session's cached state may
// be served without asking the store again.
const DefaultStaleness = 5 * time.Second

// lastSeenEvery is how often a session's last-seen time is written.
const lastSeenEvery = time.Minute

// State is what an authenticated request needs to know about its session:
// whether it is live, whom it belongs to, and what that user may do now.
// It is served from a per-process cache, never older than the staleness
// bound, and dropped at once in this process when the store announces a
// change to the session or its user (see store.Changes).
type State struct {
	SessionID       string
	UserID          string
	FingerprintHash string
	ExpiresAt       time.Time
	LastSeenAt      time.Time
	Revoked         bool
	// UserActive reports whether the account's status allows a live
	// session (active, or a suspension that has ended).
	UserActive bool
	// Roles are the user's current role names; Permissions their union.
	Roles       []string
	Permissions map[string]bool
	loadedAt    time.Time
}

// Active reports whether the session can be used at now.
func (st *State) Active(now time.Time) bool {
	return !st.Revoked && st.UserActive && now.Before(st.ExpiresAt)
}

// State returns the session's state, from this process's cache when it is
// younger than the staleness bound. An unknown session, or one whose user
// is gone, is ErrUnauthenticated. It also records the session as seen, at
// most once a minute.
func (s *Service) State(ctx context.Context, sessionID string) (*State, error) {
	now := s.now()
	if st, ok := s.cache.get(sessionID); ok && now.Sub(st.loadedAt) < s.staleness {
		return st, nil
	}
	epoch := s.cache.epoch()
	st, err := s.load(ctx, sessionID, now, epoch)
	if err != nil {
		return nil, err
	}
	if s.staleness > 0 {
		s.cache.put(st, epoch)
	}
	return st, nil
}

func (s *Service) load(ctx context.Context, sessionID string, now time.Time, epoch uint64) (*State, error) {
	sess, err := s.st.Sessions().ByID(ctx, sessionID)
	if errors.Is(err, store.ErrSessionNotFound) {
		return nil, store.ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	u, err := s.account(ctx, sess.UserID, now, epoch)
	if errors.Is(err, store.ErrUserNotFound) {
		return nil, store.ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	st := &State{
		SessionID: sess.ID, UserID: sess.UserID, FingerprintHash: sess.FingerprintHash,
		ExpiresAt: sess.ExpiresAt, LastSeenAt: sess.LastSeenAt, Revoked: sess.RevokedAt != nil,
		UserActive: canHoldSession(&u.user, now), Roles: u.roles, Permissions: u.permissions,
		// The state is as old as the oldest fact in it.
		loadedAt: u.loadedAt,
	}
	if now.Sub(sess.LastSeenAt) >= lastSeenEvery && st.Active(now) {
		if err := s.st.Sessions().Touch(ctx, sess.ID, now, ""); err != nil {
			s.log.WarnContext(ctx, "touch session failed", "err", err)
		} else {
			st.LastSeenAt = now
		}
	}
	return st, nil
}

// canHoldSession reports whether the account's status allows a live
// session.
func canHoldSession(u *store.User, now time.Time) bool {
	switch u.Status {
	case store.StatusActive:
		return true
	case store.StatusSuspended:
		return u.SuspendedUntil != nil && !now.Before(*u.SuspendedUntil)
	}
	return false
}

// forget drops what the cache knows that c may have made wrong.
func (s *Service) forget(c store.Change) {
	switch c.Kind {
	case store.SessionRevoked:
		s.cache.dropSession(c.SessionID)
	case store.UserChanged, store.UserSessionsRevoked:
		s.cache.dropUser(c.UserID)
	case store.RolesChanged, store.ChangesMissed:
		s.cache.clear()
	}
}

// stateCache is a bounded map of session states, indexed by user, beside
// a bounded map of user rows with their roles. When a map is full it
// drops an arbitrary half: entries are cheap to reload, and the bound only
// guards memory. Its epoch counts drops, so that what was loaded while a
// change was announced is not cached (it may predate the change).
type stateCache struct {
	mu     sync.RWMutex
	max    int
	items  map[string]*State
	drops  uint64
	byUser map[string]map[string]struct{}
	users  map[string]*account
}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, items: make(map[string]*State), byUser: make(map[string]map[string]struct{}),
		users: make(map[string]*account)}
}

func (c *stateCache) get(id string) (*State, bool) {
	c.mu.RLock()
	st, ok := c.items[id]
	c.mu.RUnlock()
	return st, ok
}

func (c *stateCache) epoch() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.drops
}

// put caches st unless a drop happened since epoch was read.
func (c *stateCache) put(st *State, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drops != epoch {
		return
	}
	dropHalfWhenFull(c.items, c.max, c.remove)
	c.items[st.SessionID] = st
	ids := c.byUser[st.UserID]
	if ids == nil {
		ids = make(map[string]struct{})
		c.byUser[st.UserID] = ids
	}
	ids[st.SessionID] = struct{}{}
}

func (c *stateCache) dropSession(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
	if st, ok := c.items[id]; ok {
		c.remove(id, st)
	}
}

func (c *stateCache) dropUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
	for id := range c.byUser[userID] {
		delete(c.items, id)
	}
	delete(c.byUser, userID)
	delete(c.users, userID)
}

func (c *stateCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
	c.items = make(map[string]*State)
	c.byUser = make(map[string]map[string]struct{})
	c.users = make(map[string]*account)
}

func (c *stateCache) getUser(id string) (*account, bool) {
	c.mu.RLock()
	a, ok := c.users[id]
	c.mu.RUnlock()
	return a, ok
}

// putUser caches a unless a drop happened since epoch was read.
func (c *stateCache) putUser(a *account, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drops != epoch {
		return
	}
	dropHalfWhenFull(c.users, c.max, func(id string, _ *account) { delete(c.users, id) })
	c.users[a.user.ID] = a
}

// dropHalfWhenFull drops an arbitrary half of m, through drop, when it
// holds limit entries: Go randomises where map iteration starts.
func dropHalfWhenFull[V any](m map[string]V, limit int, drop func(string, V)) {
	if len(m) < limit {
		return
	}
	n := 0
	for id, v := range m {
		drop(id, v)
		if n++; n >= limit/2 {
			break
		}
	}
}

func (c *stateCache) remove(id string, st *State) {
	delete(c.items, id)
	if ids := c.byUser[st.UserID]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(c.byUser, st.UserID)
		}
	}
}
