package gdpr

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// DefaultPurgeBatch is how many accounts one purge transaction erases
// when Config.PurgeBatch is 0.
const DefaultPurgeBatch = 100

// FileEraser deletes what a user owns outside the store, such as avatar
// image files. It runs after the erasure committed, so it must tolerate
// being called for files already gone; a failure is logged, not retried,
// so files should be keyed by user id for a sweep to find leftovers.
type FileEraser interface {
	EraseUserFiles(ctx context.Context, userID string, avatarIDs []string) error
}

// Config is what the service needs. Store, Audit and RBAC are required.
type Config struct {
	Store store.Store
	Audit *audit.Log
	// RBAC guards the last administrator and checks USER_DELETE when one
	// user erases another.
	RBAC *rbac.Service
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives purge refusals and file-erasure failures. Default:
	// discard.
	Logger *slog.Logger
	// PurgeBatch is how many accounts one purge transaction erases.
	// Default: DefaultPurgeBatch.
	PurgeBatch int
	// Files is the hook for data outside the store (avatar files). Default:
	// none.
	Files FileEraser
}

// Service erases, purges and exports accounts.
type Service struct {
	cfg    Config
	st     store.Store
	events *events.Recorder
}

// New returns a Service. It fails when a required dependency is missing.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil || cfg.RBAC == nil {
		return nil, errors.New("gdpr: Store, Audit and RBAC are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PurgeBatch <= 0 {
		cfg.PurgeBatch = DefaultPurgeBatch
	}
	return &Service{cfg: cfg, st: cfg.Store, events: events.NewRecorder(cfg.Now)}, nil
}

// allowed lets the user themself and the host's own code through, and
// others holding perm.
func (s *Service) allowed(ctx context.Context, userID string, perm rbac.Permission) error {
	a, ok := store.ActorFromContext(ctx)
	switch {
	case !ok || a.IsZero():
		return store.ErrUnauthenticated
	case a.System || a.UserID == userID:
		return nil
	}
	can, err := s.cfg.RBAC.Can(ctx, a.UserID, perm)
	if err != nil {
		return err
	}
	if !can {
		return store.ErrPermissionDenied
	}
	return nil
}
