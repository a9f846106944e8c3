package store

import (
	"context"
	"time"
)

// TwoFactorMethod names a second factor.
type TwoFactorMethod string

// Second factors.
const (
	MethodTOTP  TwoFactorMethod = "totp"
	MethodEmail TwoFactorMethod = "email"
	MethodSMS   TwoFactorMethod = "sms"
)

// TwoFactor is a user's second-factor enrolment. Secret is the TOTP secret
// sealed with the key from options; it is never stored in the clear.
type TwoFactor struct {
	UserID  string
	Method  TwoFactorMethod
	Secret  []byte
	Enabled bool
	// LastStep is the last TOTP time step accepted, so a code works once.
	LastStep  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// BackupCode is one hashed single-use recovery code.
type BackupCode struct {
	ID        string
	UserID    string
	Hash      []byte
	CreatedAt time.Time
	UsedAt    *time.Time
}

// TwoFactorStore persists second-factor enrolments and backup codes.
type TwoFactorStore interface {
	// Get returns the user's enrolment, or an error matching ErrNotFound.
	Get(ctx context.Context, userID string) (*TwoFactor, error)
	// Put inserts or replaces the user's enrolment.
	Put(ctx context.Context, t *TwoFactor) error
	// Delete removes the enrolment and the backup codes.
	Delete(ctx context.Context, userID string) error
	// AdvanceStep records step as used if it is later than the last one:
	// of concurrent callers with the same step exactly one gets true.
	AdvanceStep(ctx context.Context, userID string, step int64) (bool, error)
	// ReplaceBackupCodes spends the old codes and stores the new ones.
	ReplaceBackupCodes(ctx context.Context, userID string, codes []BackupCode) error
	// UseBackupCode spends the unused code with that hash: of concurrent
	// callers exactly one gets nil, the others ErrInvalidCode.
	UseBackupCode(ctx context.Context, userID string, hash []byte, at time.Time) error
	// BackupCodesRemaining counts the user's unused codes.
	BackupCodesRemaining(ctx context.Context, userID string) (int, error)
}
