// Package users holds profiles, preferences and the account lifecycle seen
// from the user's side.
//
//	p, err := svc.Profile(ctx, userID)
//	if errors.Is(err, store.ErrUserNotFound) { ... }
//	fmt.Println(p.User.Email, p.Roles)
package users

import (
	"context"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// Service reads and changes user profiles.
type Service struct {
	st    store.Store
	audit *audit.Log
	now   func() time.Time
}

// New returns a Service.
func New(st store.Store, log *audit.Log, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, audit: log, now: now}
}

// Profile is a user with the names of the roles they hold.
type Profile struct {
	User  *store.User
	Roles []string
}

// Profile returns the user's own profile, or an error matching
// ErrUserNotFound.
func (s *Service) Profile(ctx context.Context, userID string) (*Profile, error) {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	roles, err := s.st.Roles().RolesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	p := &Profile{User: u, Roles: make([]string, len(roles))}
	for i, r := range roles {
		p.Roles[i] = r.Name
	}
	return p, nil
}

// Get returns the user, or an error matching ErrUserNotFound. Callers that
// already know the roles (an authenticated request does) avoid the second
// query Profile makes.
func (s *Service) Get(ctx context.Context, userID string) (*store.User, error) {
	return s.st.Users().ByID(ctx, userID)
}
