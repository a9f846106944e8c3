package auth

import (
	"context"
	"errors"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/store"
)

// Refresh spends a refresh token and returns a new pair. Presenting a spent
// token (outside the reuse grace) revokes its whole session: a stolen token
// and its legitimate twin cannot both live. Of parallel refreshes with one
// token exactly one wins. A refused refresh spends nothing.
//
// The session, the user's status and roles come from the same cache as
// Authenticate, within the staleness bound, so a refresh costs one read and
// one short transaction.
func (s *Service) Refresh(ctx context.Context, token, fingerprint string) (*TokenPair, error) {
	if token == "" {
		return nil, store.Validation(store.FieldError{Field: "refreshToken", Message: "is required"})
	}
	rt, err := s.st.RefreshTokens().ByHash(ctx, hashSecret(token))
	if err != nil {
		return nil, err
	}
	now := s.now()
	st, err := s.sessions.State(ctx, rt.SessionID)
	if errors.Is(err, store.ErrUnauthenticated) {
		return nil, store.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, err
	}
	if !st.Active(now) || !sameFingerprint(st.FingerprintHash, fingerprint) {
		return nil, store.ErrInvalidRefreshToken
	}
	if rt.UsedAt != nil {
		return nil, s.reused(ctx, rt, now.Sub(*rt.UsedAt))
	}
	if !now.Before(rt.ExpiresAt) {
		return nil, store.ErrInvalidRefreshToken
	}
	if s.cfg.IdleTimeout > 0 && now.Sub(st.LastSeenAt) > s.cfg.IdleTimeout {
		if err := s.revoke(ctx, rt.SessionID, rt.UserID, "idle", "session.expire"); err != nil {
			return nil, err
		}
		return nil, store.ErrInvalidRefreshToken
	}
	next, err := newSecret(s.cfg.Random)
	if err != nil {
		return nil, err
	}
	// Spending the old token, storing the new one and the audit row are one
	// atomic step (one statement on PostgreSQL).
	entry := s.audit.Prepare(ctx, audit.Entry{Action: "auth.refresh", TargetID: rt.UserID, ActorID: rt.UserID,
		Metadata: map[string]string{"session_id": rt.SessionID}})
	err = s.st.RefreshTokens().Rotate(ctx, rt.ID, now, s.newRefresh(rt.SessionID, rt.UserID, st.ExpiresAt, next, now), &entry)
	if errors.Is(err, store.ErrInvalidRefreshToken) {
		// Another request spent the token a moment ago.
		return nil, s.reused(ctx, rt, 0)
	}
	if err != nil {
		return nil, err
	}
	return s.sign(ctx, rt.UserID, rt.SessionID, st.Roles, next)
}

// reused handles a spent refresh token: within the grace it is a client's
// harmless race; after it, the session is revoked.
func (s *Service) reused(ctx context.Context, rt *store.RefreshToken, since time.Duration) error {
	if s.cfg.ReuseGrace > 0 && since <= s.cfg.ReuseGrace {
		return store.ErrInvalidRefreshToken
	}
	if err := s.revoke(ctx, rt.SessionID, rt.UserID, "refresh_token_reuse", "auth.refresh_reuse"); err != nil {
		return err
	}
	return store.ErrInvalidRefreshToken
}

// revoke revokes one session with its audit row.
func (s *Service) revoke(ctx context.Context, sessionID, userID, reason, action string) error {
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.Sessions().Revoke(ctx, sessionID, s.now(), reason); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, tx, userID, events.SessionRevoked{SessionID: sessionID, Count: 1, Reason: reason}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: userID, ActorID: userID,
			Outcome: store.OutcomeFailure, Metadata: map[string]string{"session_id": sessionID, "reason": reason}})
	})
	return err
}

// Logout revokes the session of a refresh token. A spent token of the
// session works too, so a client that lost the latest token can still sign
// out.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return store.Validation(store.FieldError{Field: "refreshToken", Message: "is required"})
	}
	rt, err := s.st.RefreshTokens().ByHash(ctx, hashSecret(token))
	if err != nil {
		return err
	}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.Sessions().Revoke(ctx, rt.SessionID, s.now(), "logout"); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, tx, rt.UserID, events.SessionRevoked{SessionID: rt.SessionID, Count: 1, Reason: "logout"}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "auth.logout", TargetID: rt.UserID, ActorID: rt.UserID,
			Metadata: map[string]string{"session_id": rt.SessionID}})
	})
	return err
}
