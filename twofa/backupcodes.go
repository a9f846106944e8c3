package twofa

import (
	"context"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/store"
)

// Backup codes: making them, and replacing a user's set.

// RegenerateBackupCodes replaces the user's backup codes with 10 new ones;
// the old ones are spent. It needs the password (ErrInvalidPassword when
// wrong) and returns ErrMFANotEnabled when 2FA is off.
func (s *Service) RegenerateBackupCodes(ctx context.Context, userID, password string) (BackupCodes, error) {
	if password == "" {
		return nil, store.Validation(store.FieldError{Field: "password", Message: "is required"})
	}
	u, _, err := s.enabled(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !s.checkPassword(u, password) {
		s.auditDenied(ctx, "2fa.backup_codes_regenerate", u.ID)
		return nil, audit.MarkRecorded(store.ErrInvalidPassword)
	}
	codes, rows, err := s.newBackupCodes(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.TwoFactor().ReplaceBackupCodes(ctx, u.ID, rows); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, tx, u.ID, events.TwoFactorChanged{Change: "backup_codes_regenerated"}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.backup_codes_regenerate", TargetID: u.ID})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// newBackupCodes makes a set of backup codes and the rows that store their
// keyed hashes.
func (s *Service) newBackupCodes(ctx context.Context, userID string) (BackupCodes, []store.BackupCode, error) {
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	codes := make(BackupCodes, 0, BackupCodeCount)
	rows := make([]store.BackupCode, 0, BackupCodeCount)
	seen := map[string]bool{}
	for len(codes) < BackupCodeCount {
		c, err := newBackupCode(s.cfg.Random)
		if err != nil {
			return nil, nil, err
		}
		norm, _ := normalizeBackupCode(c)
		if seen[norm] {
			continue
		}
		seen[norm] = true
		codes = append(codes, c)
		rows = append(rows, store.BackupCode{UserID: userID, Hash: keyedHash(keys[0], "backup-code", userID, norm), CreatedAt: now})
	}
	return codes, rows, nil
}
