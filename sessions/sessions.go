// Package sessions lists and revokes a user's sessions, one per signed-in
// device.
//
//	page, err := m.Sessions().List(ctx, userID, currentSessionID, store.ListRequest{})
//	n, err := m.Sessions().RevokeOthers(ctx, userID, currentSessionID)
package sessions

import (
	"context"
	"strconv"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// Service manages sessions. It is safe for concurrent use.
type Service struct {
	st    store.Store
	audit *audit.Log
	now   func() time.Time
	// revoked is told about each revoked session so this process's caches
	// refuse it at once.
	revoked func(sessionID string)
}

// New returns a Service; revoked, which may be nil, is called with each
// session id this Service revokes.
func New(st store.Store, log *audit.Log, now func() time.Time, revoked func(sessionID string)) *Service {
	if now == nil {
		now = time.Now
	}
	if revoked == nil {
		revoked = func(string) {}
	}
	return &Service{st: st, audit: log, now: now, revoked: revoked}
}

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

// liveIDs returns the ids of every live session of the user, page by page.
func (s *Service) liveIDs(ctx context.Context, userID string) ([]string, error) {
	var ids []string
	r := store.ListRequest{Limit: store.MaxLimit}
	for {
		p, err := s.st.Sessions().List(ctx, userID, s.now(), r)
		if err != nil {
			return nil, err
		}
		for _, sess := range p.Items {
			ids = append(ids, sess.ID)
		}
		if p.NextCursor == "" {
			return ids, nil
		}
		r.Cursor = p.NextCursor
	}
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
		if err := tx.Sessions().Revoke(ctx, sessionID, s.now().UTC(), "user"); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "session.revoke", TargetID: userID,
			Metadata: map[string]string{"session_id": sessionID}})
	})
	if err != nil {
		return err
	}
	s.revoked(sessionID)
	return nil
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
	live, err := s.liveIDs(ctx, userID)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		var err error
		if n, err = tx.Sessions().RevokeByUser(ctx, userID, keep, s.now().UTC(), reason); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: userID,
			Metadata: map[string]string{"revoked": strconv.Itoa(n), "reason": reason}})
	})
	if err != nil {
		return 0, err
	}
	for _, id := range live {
		if id != keep {
			s.revoked(id)
		}
	}
	return n, nil
}
