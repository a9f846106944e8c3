package sessions

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/store"
)

// Config is what a Service needs. Zero values take the defaults named per
// field.
type Config struct {
	Store store.Store
	Audit *audit.Log
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Staleness bounds how long a session's state (revoked or not, the
	// user's status and roles) may be served from this process's cache.
	// Changes this process writes drop it at once; changes made by other
	// instances show within the bound. 0 asks the store on every request.
	// Callers wanting the usual bound pass DefaultStaleness.
	Staleness time.Duration
	// CacheSize bounds the number of cached session states. Default 100,000.
	CacheSize int
	// Logger receives failures that do not fail a request. Default: discard.
	Logger *slog.Logger
}

// Service manages sessions: it lists and revokes them, and answers, from a
// bounded cache, whether a session is live and what its user may do. It is
// the one home of a session's lifecycle: every revocation goes through the
// store, which announces it (store.Changes), and the cache drops what it
// knew. It is safe for concurrent use.
type Service struct {
	st        store.Store
	audit     *audit.Log
	now       func() time.Time
	staleness time.Duration
	log       *slog.Logger
	cache     *stateCache
	cancel    func()
	events    *events.Recorder
}

// New returns a Service. Call Close when done with it, to stop listening
// to the store's changes.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("sessions: nil store")
	case cfg.Audit == nil:
		return nil, errors.New("sessions: nil audit log")
	case cfg.Staleness < 0:
		return nil, errors.New("sessions: negative staleness")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 100_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: cfg.Store, audit: cfg.Audit, now: func() time.Time { return cfg.Now().UTC() },
		staleness: cfg.Staleness, log: cfg.Logger, cache: newStateCache(cfg.CacheSize)}
	s.events = events.NewRecorder(s.now)
	s.cancel = cfg.Store.Subscribe(s.forget)
	return s, nil
}

// Close stops the Service listening to the store's changes.
func (s *Service) Close() { s.cancel() }

// Info is a session as its owner sees it.
type Info struct {
	store.Session
	// Current marks the session the request came with.
	Current bool
}

// List returns one page of the user's live sessions, marking current. It
// sorts by "createdAt" (the default, newest first) or "lastSeenAt"; an
// unknown sort, a bad cursor or a limit over store.MaxLimit is an error
// matching store.ErrValidation.
func (s *Service) List(ctx context.Context, userID, current string, r store.ListRequest) (store.Page[Info], error) {
	p, err := s.st.Sessions().List(ctx, userID, s.now(), r)
	if err != nil {
		return store.Page[Info]{}, err
	}
	out := store.Page[Info]{Items: make([]Info, len(p.Items)), NextCursor: p.NextCursor, Total: p.Total}
	for i, sess := range p.Items {
		out.Items[i] = Info{Session: sess, Current: sess.ID == current}
	}
	return out, nil
}

// Revoke revokes one of the user's sessions. Another user's session, like
// an unknown one, is ErrSessionNotFound.
func (s *Service) Revoke(ctx context.Context, userID, sessionID string) error {
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		sess, err := tx.Sessions().ByID(ctx, sessionID)
		if err != nil {
			return err
		}
		if sess.UserID != userID || !sess.Active(s.now()) {
			return store.ErrSessionNotFound
		}
		if err := tx.Sessions().Revoke(ctx, sessionID, s.now(), "user"); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, tx, userID, events.SessionRevoked{SessionID: sessionID, Count: 1, Reason: "user"}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "session.revoke", TargetID: userID,
			Metadata: map[string]string{"session_id": sessionID}})
	})
	return err
}

// RevokeOthers revokes every live session of the user but current and
// returns how many it revoked.
func (s *Service) RevokeOthers(ctx context.Context, userID, current string) (int, error) {
	return s.revokeAll(ctx, userID, current, "user", "session.revoke_all")
}

// RevokeAll revokes every session of the user, as an admin does on
// suspension; reason is recorded on the sessions.
func (s *Service) RevokeAll(ctx context.Context, userID, reason string) (int, error) {
	return s.revokeAll(ctx, userID, "", reason, "session.revoke_all")
}

func (s *Service) revokeAll(ctx context.Context, userID, keep, reason, action string) (int, error) {
	var n int
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		var err error
		n, err = s.RevokeUser(ctx, tx, userID, keep, reason, action)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// RevokeUser revokes, inside the caller's transaction tx, every live
// session of the user but keep (which may be empty), with its audit row
// (action, such as "session.revoke_all"), and returns how many it revoked.
// It is the one call for services that end a user's sessions as part of a
// change (suspension, deactivation, deletion, erasure): once tx commits,
// this process refuses those sessions' access tokens at once, and other
// instances within the staleness bound.
func (s *Service) RevokeUser(ctx context.Context, tx store.Repos, userID, keep, reason, action string) (int, error) {
	n, err := tx.Sessions().RevokeByUser(ctx, userID, keep, s.now(), reason)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		if err := s.events.Emit(ctx, tx, userID, events.SessionRevoked{Count: n, Reason: reason}); err != nil {
			return 0, err
		}
	}
	return n, s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: userID,
		Metadata: map[string]string{"revoked": strconv.Itoa(n), "reason": reason}})
}
