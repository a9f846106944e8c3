package auth

import (
	"context"
	"errors"
	"strings"
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
// A refresh token names its session, whose state (live or not, the user's
// status and roles) comes from the same cache as Authenticate, within the
// staleness bound; the token is then found, spent and replaced, with the
// audit row, in one statement: a refresh costs one round trip on
// PostgreSQL.
func (s *Service) Refresh(ctx context.Context, token, fingerprint string) (*TokenPair, error) {
	if token == "" {
		return nil, store.Validation(store.FieldError{Field: "refreshToken", Message: "is required"})
	}
	sessionID, err := s.refreshSession(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	st, err := s.sessions.State(ctx, sessionID)
	if errors.Is(err, store.ErrUnauthenticated) {
		return nil, store.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, err
	}
	if !st.Active(now) || !sameFingerprint(st.FingerprintHash, fingerprint) {
		return nil, store.ErrInvalidRefreshToken
	}
	if s.cfg.IdleTimeout > 0 && now.Sub(st.LastSeenAt) > s.cfg.IdleTimeout {
		if err := s.revoke(ctx, sessionID, st.UserID, "idle", "session.expire"); err != nil {
			return nil, err
		}
		return nil, store.ErrInvalidRefreshToken
	}
	secret, err := newSecret(s.cfg.Random)
	if err != nil {
		return nil, err
	}
	next := refreshToken(sessionID, secret)
	entry := s.audit.Prepare(ctx, audit.Entry{Action: "auth.refresh", TargetID: st.UserID, ActorID: st.UserID,
		Metadata: map[string]string{"session_id": sessionID}})
	old, rotated, err := s.st.RefreshTokens().Rotate(ctx, hashSecret(token), sessionID, now,
		s.newRefresh(sessionID, st.UserID, st.ExpiresAt, next, now), &entry)
	if err != nil {
		return nil, err
	}
	switch {
	case rotated:
		return s.sign(ctx, st.UserID, sessionID, st.Roles, next)
	case old.UsedAt != nil:
		return nil, s.reused(ctx, old, now.Sub(*old.UsedAt))
	case !now.Before(old.ExpiresAt):
		return nil, store.ErrInvalidRefreshToken
	}
	// Another request spent the token a moment ago.
	return nil, s.reused(ctx, old, 0)
}

// refreshToken is what a client holds: the session's id, then the secret.
// Naming the session lets a refresh check the session's cached state
// before the one statement that spends the token; the id is no secret
// (the access token and the session list show it), the 256 random bits
// are, and only the whole token's hash is stored.
func refreshToken(sessionID, secret string) string { return sessionID + "." + secret }

// refreshSession returns the session a refresh token names. A token
// issued before tokens named their session is looked up by its hash.
func (s *Service) refreshSession(ctx context.Context, token string) (string, error) {
	if id, _, ok := strings.Cut(token, "."); ok {
		return id, nil
	}
	rt, err := s.st.RefreshTokens().ByHash(ctx, hashSecret(token))
	if err != nil {
		return "", err
	}
	return rt.SessionID, nil
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
