package twofa

import (
	"context"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// Step-up: a signed-in user proves the second factor again.

// Verify checks a current code of the user's method for a step-up and
// marks the session (when sessionID is not empty) as verified now. Errors
// are those of Check.
func (s *Service) Verify(ctx context.Context, userID, sessionID, code string) error {
	return s.stepUp(ctx, "2fa.verify", userID, sessionID, code, false)
}

// VerifyBackup is Verify with a backup code, which it spends. It returns
// how many unused backup codes remain.
func (s *Service) VerifyBackup(ctx context.Context, userID, sessionID, code string) (int, error) {
	if err := s.stepUp(ctx, "2fa.verify_backup", userID, sessionID, code, true); err != nil {
		return 0, err
	}
	return s.st.TwoFactor().BackupCodesRemaining(ctx, userID)
}

func (s *Service) stepUp(ctx context.Context, action, userID, sessionID, code string, backup bool) error {
	if code == "" {
		return store.Validation(store.FieldError{Field: "code", Message: "is required"})
	}
	u, tf, err := s.enabled(ctx, userID)
	if err != nil {
		return err
	}
	err = s.guard(ctx, u.ID, func() error {
		if backup {
			return s.useBackupCode(ctx, u.ID, code)
		}
		return s.checkMethodCode(ctx, u.ID, tf, code)
	})
	if err != nil {
		s.auditFailure(ctx, action, u.ID, err)
		return err
	}
	return s.markVerified(ctx, action, u.ID, sessionID)
}

// markVerified records a step-up, on the session when there is one.
func (s *Service) markVerified(ctx context.Context, action, userID, sessionID string) error {
	now := s.now()
	return s.st.InTx(ctx, func(tx store.Repos) error {
		meta := map[string]string{}
		if sessionID != "" {
			if err := tx.Sessions().MarkMFAVerified(ctx, sessionID, now); err != nil {
				return err
			}
			meta["session_id"] = sessionID
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: userID, Metadata: meta})
	})
}

// SendCode sends a signed-in user of the email or sms method a code, for
// Verify or Disable, and returns the method and where the code went,
// masked. It returns ErrMFANotEnabled when 2FA is off or its method sends
// no codes (TOTP).
func (s *Service) SendCode(ctx context.Context, userID string) (method store.TwoFactorMethod, sentTo string, err error) {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return "", "", err
	}
	sentTo, err = s.Send(ctx, u, u.TwoFactorMethod)
	return store.TwoFactorMethod(u.TwoFactorMethod), sentTo, err
}
