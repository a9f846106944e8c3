// Package users holds profiles, preferences and the account lifecycle seen
// from the user's side.
//
//	p, err := svc.Profile(ctx, userID)
//	if errors.Is(err, store.ErrUserNotFound) { ... }
//	fmt.Println(p.User.Email, p.Roles)
//
// The methods that change something read the actor from the context
// (store.NewContextWithActor): users change their own profile, and
// store.SystemActor, the host's trusted code, anyone's.
package users

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"time"
	_ "time/tzdata"
	// The zone database is compiled in, so that timezone preferences

	// validate the same on hosts without zoneinfo files.

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/store"
)

// Config is what the Service needs. Zero values take the defaults named
// per field.
type Config struct {
	Store store.Store
	// Audit records every change in its transaction.
	Audit *audit.Log
	// Auth checks recent authentication and issues the link of an email
	// change. When nil, email changes are refused with an internal error.
	Auth *auth.Service
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives failures that cannot be returned. Default: discard.
	Logger *slog.Logger
	// Cache serves the rows Get and Profile read. Default: none, every
	// read asks the store.
	Cache Cache
}

// Cache serves user rows and role names from a per-process cache that is
// never older than the session staleness bound and drops a user at once
// when this process changes them; *sessions.Service is one. User returns
// an error matching store.ErrUserNotFound for an unknown user, and copies
// the caller may change.
type Cache interface {
	User(ctx context.Context, userID string) (*store.User, []string, error)
}

// Service reads and changes user profiles and preferences.
type Service struct {
	st     store.Store
	audit  *audit.Log
	auth   *auth.Service
	now    func() time.Time
	log    *slog.Logger
	events *events.Recorder
	cache  Cache
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.New(cfg.Store, cfg.Now)
	}
	return &Service{st: cfg.Store, audit: cfg.Audit, auth: cfg.Auth, now: cfg.Now, log: cfg.Logger,
		events: events.NewRecorder(cfg.Now), cache: cfg.Cache}
}

// Profile is a user with the names of the roles they hold.
type Profile struct {
	User  *store.User
	Roles []string
}

// Profile returns the user's own profile, or an error matching
// ErrUserNotFound. A pending email change whose link expired is not
// shown.
func (s *Service) Profile(ctx context.Context, userID string) (*Profile, error) {
	u, roles, err := s.read(ctx, userID, true)
	if err != nil {
		return nil, err
	}
	if err := s.hideExpiredPending(ctx, u); err != nil {
		return nil, err
	}
	return &Profile{User: u, Roles: roles}, nil
}

// Get returns the user, or an error matching ErrUserNotFound. Callers that
// already know the roles (an authenticated request does) avoid the second
// query Profile makes without a cache. A pending email change whose link
// expired is not shown. Served from the Cache, the row has no password
// hash.
func (s *Service) Get(ctx context.Context, userID string) (*store.User, error) {
	u, _, err := s.read(ctx, userID, false)
	if err != nil {
		return nil, err
	}
	if err := s.hideExpiredPending(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// read returns the user and, when withRoles or from the Cache (which
// holds them anyway), their role names.
func (s *Service) read(ctx context.Context, userID string, withRoles bool) (*store.User, []string, error) {
	if s.cache != nil {
		return s.cache.User(ctx, userID)
	}
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil || !withRoles {
		return u, nil, err
	}
	roles, err := s.st.Roles().RolesOf(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return u, names, nil
}

// hideExpiredPending clears u.PendingEmail (in the copy, not the row) when
// no live link can confirm it any more: the change expired with its link.
func (s *Service) hideExpiredPending(ctx context.Context, u *store.User) error {
	if u.PendingEmail == "" {
		return nil
	}
	t, err := s.st.OneTimeTokens().Latest(ctx, u.ID, store.PurposeChangeEmail)
	switch {
	case err == nil:
		if t.Data != u.PendingEmail || !s.now().Before(t.ExpiresAt) {
			u.PendingEmail = ""
		}
		return nil
	case errors.Is(err, store.ErrInvalidToken):
		u.PendingEmail = ""
		return nil
	}
	return err
}

// authorize lets the actor in ctx change userID's data: the user
// themselves or store.SystemActor. Anyone else is refused with
// ErrPermissionDenied, audited as denied under action.
func (s *Service) authorize(ctx context.Context, userID, action string) error {
	a, ok := store.ActorFromContext(ctx)
	switch {
	case !ok || a.IsZero():
		return store.ErrUnauthenticated
	case a.System || a.UserID == userID:
		return nil
	}
	e := audit.Entry{Action: action, TargetID: userID, Outcome: store.OutcomeDenied,
		Metadata: map[string]string{"reason": "not_own_account"}}
	if err := s.audit.RecordNow(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit denied failed", "action", action, "err", err)
	}
	return audit.MarkRecorded(store.ErrPermissionDenied.WithMessage("you can only change your own account"))
}

// recordChange writes, in tx, the audit row (action) and the UserUpdated
// event of a change to target: the names of the changed fields, sorted,
// never their values. prefix qualifies the event's field names
// ("preferences.").
func (s *Service) recordChange(ctx context.Context, tx store.Repos, action, target, prefix string, changed []string) error {
	sorted := append([]string(nil), changed...)
	sort.Strings(sorted)
	fields := make([]string, len(sorted))
	for i, f := range sorted {
		fields[i] = prefix + f
	}
	if err := s.events.Emit(ctx, tx, target, events.UserUpdated{Fields: fields}); err != nil {
		return err
	}
	return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: target,
		Metadata: map[string]string{"fields": strings.Join(sorted, ",")}})
}
