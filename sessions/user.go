package sessions

import (
	"context"
	"slices"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// account is a user row, without its password hash, with the user's
// roles, as the cache keeps it. It is shared and never changed: readers
// get copies.
type account struct {
	user        store.User
	roles       []string
	permissions map[string]bool
	loadedAt    time.Time
}

// User returns the user's row, without its password hash, and role names
// from the same per-process cache as State: never older than the
// staleness bound, and fresh at once after a change this process made (or,
// on a store that tells other instances, another instance made). An
// unknown user is an error matching store.ErrUserNotFound. The results
// are the caller's to change.
func (s *Service) User(ctx context.Context, userID string) (*store.User, []string, error) {
	a, err := s.account(ctx, userID, s.now(), s.cache.epoch())
	if err != nil {
		return nil, nil, err
	}
	return copyUser(&a.user), slices.Clone(a.roles), nil
}

// account returns the cached row of the user when younger than the
// staleness bound, and otherwise loads and caches it; epoch is the cache's
// epoch read before anything was loaded.
func (s *Service) account(ctx context.Context, userID string, now time.Time, epoch uint64) (*account, error) {
	if a, ok := s.cache.getUser(userID); ok && now.Sub(a.loadedAt) < s.staleness {
		return a, nil
	}
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	roles, err := s.st.Roles().RolesOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = ""
	a := &account{user: *u, roles: make([]string, 0, len(roles)), permissions: map[string]bool{}, loadedAt: now}
	for _, r := range roles {
		a.roles = append(a.roles, r.Name)
		for _, p := range r.Permissions {
			a.permissions[p] = true
		}
	}
	if s.staleness > 0 {
		s.cache.putUser(a, epoch)
	}
	return a, nil
}

// copyUser copies u, and the times it points to, so that no change to the
// copy reaches the cache.
func copyUser(u *store.User) *store.User {
	c := *u
	for _, t := range []**time.Time{&c.PasswordChangedAt, &c.SuspendedUntil, &c.DeletedAt, &c.PurgeAfter, &c.LastLoginAt} {
		if *t != nil {
			v := **t
			*t = &v
		}
	}
	return &c
}
