package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID    string
	SessionID string
	// ImpersonatorID is the admin acting as UserID, if any.
	ImpersonatorID string
	// Roles are the user's current role names (not the token's claim, which
	// may be stale).
	Roles []string
	// Permissions is the union of the roles' permissions.
	Permissions map[string]bool
}

// Can reports whether the principal holds the permission.
func (p *Principal) Can(permission string) bool { return p.Permissions[permission] }

// Actor returns the audit actor of the principal.
func (p *Principal) Actor() store.Actor {
	return store.Actor{UserID: p.UserID, SessionID: p.SessionID, ImpersonatorID: p.ImpersonatorID}
}

// Authenticate checks a bearer access token and returns its principal. The
// token's session must be live, its user active, and the fingerprint the
// same as at login when the session is bound to one. Session, user and
// roles are re-read from the store at most every Staleness, and at once
// after this process revoked the session.
func (s *Service) Authenticate(ctx context.Context, token, fingerprint string) (*Principal, error) {
	claims, err := s.tokens.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	st, err := s.sessionState(ctx, claims.SessionID, now)
	if err != nil {
		return nil, err
	}
	if st.userID != claims.UserID || !st.active(now) || !sameFingerprint(st.fingerprint, fingerprint) {
		return nil, store.ErrUnauthenticated
	}
	return &Principal{
		UserID: claims.UserID, SessionID: claims.SessionID, ImpersonatorID: claims.ActorID,
		Roles: st.roles, Permissions: st.permissions,
	}, nil
}

// sessionState is what the store says about a session, cached.
type sessionState struct {
	userID      string
	fingerprint string
	expiresAt   time.Time
	lastSeen    time.Time
	revoked     bool
	userOK      bool
	roles       []string
	permissions map[string]bool
	loadedAt    time.Time
}

func (st *sessionState) active(now time.Time) bool {
	return !st.revoked && st.userOK && now.Before(st.expiresAt)
}

func (s *Service) sessionState(ctx context.Context, sessionID string, now time.Time) (*sessionState, error) {
	if st, ok := s.principals.get(sessionID); ok && now.Sub(st.loadedAt) < s.cfg.Staleness {
		return st, nil
	}
	sess, err := s.st.Sessions().ByID(ctx, sessionID)
	if errors.Is(err, store.ErrSessionNotFound) {
		return nil, store.ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	u, err := s.st.Users().ByID(ctx, sess.UserID)
	if errors.Is(err, store.ErrUserNotFound) {
		return nil, store.ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	roles, err := s.st.Roles().RolesOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	st := &sessionState{
		userID: sess.UserID, fingerprint: sess.FingerprintHash, expiresAt: sess.ExpiresAt, lastSeen: sess.LastSeenAt,
		revoked: sess.RevokedAt != nil, userOK: canHoldSession(u, now),
		permissions: map[string]bool{}, loadedAt: now,
	}
	for _, r := range roles {
		st.roles = append(st.roles, r.Name)
		for _, p := range r.Permissions {
			st.permissions[p] = true
		}
	}
	if now.Sub(sess.LastSeenAt) >= lastSeenEvery && st.active(now) {
		// Last seen is written at most once a minute per session.
		if err := s.st.Sessions().Touch(ctx, sess.ID, now, ""); err != nil {
			s.cfg.Logger.WarnContext(ctx, "touch session failed", "err", err)
		} else {
			st.lastSeen = now
		}
	}
	s.principals.put(sessionID, st)
	return st, nil
}

// lastSeenEvery is how often a session's last-seen time is written.
const lastSeenEvery = time.Minute

// forgetSession drops what this process cached about a session, so its
// revocation takes effect here at once.
func (s *Service) forgetSession(sessionID string) {
	s.principals.drop(sessionID)
	s.tokens.ForgetSession(sessionID)
}

// forgetUser drops every cached session of the user except keep.
func (s *Service) forgetUser(userID string, keep ...string) {
	for _, id := range s.principals.sessionsOf(userID) {
		if len(keep) > 0 && id == keep[0] {
			continue
		}
		s.forgetSession(id)
	}
}

// ForgetUser makes this process re-read every session of the user on its
// next request: for callers that changed the user's status or roles.
func (s *Service) ForgetUser(userID string) { s.forgetUser(userID) }

// principalCache is a bounded map of session states. When full it drops
// an arbitrary half: entries are cheap to reload, and the bound only guards
// memory.
type principalCache struct {
	mu    sync.RWMutex
	max   int
	items map[string]*sessionState
}

func newPrincipalCache(max int) *principalCache {
	return &principalCache{max: max, items: make(map[string]*sessionState)}
}

func (c *principalCache) get(id string) (*sessionState, bool) {
	c.mu.RLock()
	st, ok := c.items[id]
	c.mu.RUnlock()
	return st, ok
}

func (c *principalCache) put(id string, st *sessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= c.max {
		n := 0
		for k := range c.items {
			delete(c.items, k)
			if n++; n >= c.max/2 {
				break
			}
		}
	}
	c.items[id] = st
}

func (c *principalCache) drop(id string) {
	c.mu.Lock()
	delete(c.items, id)
	c.mu.Unlock()
}

func (c *principalCache) sessionsOf(userID string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var ids []string
	for id, st := range c.items {
		if st.userID == userID {
			ids = append(ids, id)
		}
	}
	return ids
}

// ForgetSession makes this process refuse a session revoked elsewhere in
// the library (the sessions service) at once, instead of after the
// staleness bound.
func (s *Service) ForgetSession(sessionID string) { s.forgetSession(sessionID) }

// ForgetAll drops every cached session state, after a change that may
// touch many users, such as a role's permissions.
func (s *Service) ForgetAll() { s.principals.clear() }

func (c *principalCache) clear() {
	c.mu.Lock()
	c.items = make(map[string]*sessionState)
	c.mu.Unlock()
}
