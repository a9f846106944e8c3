package twofa

import (
	"context"
	"errors"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/lockkey"
	"github.com/usermgmt/usermgmt/store"
)

// The lock-out guard on wrong codes, the password check, and the audit
// helpers.

// guard runs check counting it, before it runs, as a failure of the
// user's second factor; a success takes the count back. Counting first,
// in one atomic step, keeps parallel guesses within the threshold. Once
// the count passes the threshold the lock refuses without running check, so
// a locked account answers alike for right and wrong codes.
func (s *Service) guard(ctx context.Context, userID string, check func() error) error {
	now := s.now()
	key := lockkey.MFA(userID)
	f, err := s.st.Lockout().RecordFailure(ctx, key, now, s.cfg.Lockout)
	if err != nil {
		return err
	}
	if f.Count > s.cfg.Lockout.Threshold && f.LockedUntil != nil && now.Before(*f.LockedUntil) {
		secs := int(f.LockedUntil.Sub(now).Seconds()) + 1
		return store.ErrAccountLocked.With("retryAfter", secs).
			With("lockedUntil", f.LockedUntil.UTC().Format(time.RFC3339))
	}
	if err := check(); err != nil {
		return err
	}
	return s.st.Lockout().Reset(ctx, key)
}

// checkPassword checks u's password as login does (auth.Passwords.Check),
// logging a hash no Hasher reads.
func (s *Service) checkPassword(u *store.User, password string) bool {
	ok, err := s.cfg.Passwords.Check(u, password)
	if err != nil {
		s.cfg.Logger.Error("password verify failed", "user_id", u.ID, "err", err)
	}
	return ok
}

// auditFailure records a refused code: outcome failure, or denied when the
// second factor is locked.
func (s *Service) auditFailure(ctx context.Context, action, userID string, err error) {
	outcome, reason := store.OutcomeFailure, "invalid_code"
	switch {
	case errors.Is(err, store.ErrAccountLocked):
		outcome, reason = store.OutcomeDenied, "locked"
	case !errors.Is(err, store.ErrInvalidCode):
		return
	}
	s.record(ctx, audit.Entry{Action: action, TargetID: userID, Outcome: outcome,
		Metadata: map[string]string{"reason": reason}})
}

func (s *Service) auditDenied(ctx context.Context, action, userID string) {
	s.record(ctx, audit.Entry{Action: action, TargetID: userID, Outcome: store.OutcomeDenied,
		Metadata: map[string]string{"reason": "invalid_password"}})
}

func (s *Service) record(ctx context.Context, e audit.Entry) {
	if err := s.audit.RecordNow(ctx, e); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "audit failed", "action", e.Action, "err", err)
	}
}
