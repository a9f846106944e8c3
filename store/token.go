package store

import (
	"context"
	"time"
)

// RefreshToken is one link of a session's refresh-token chain. Only the
// hash of the token is stored.
type RefreshToken struct {
	ID        string
	SessionID string
	UserID    string
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is set when the token was exchanged for a new pair.
	UsedAt *time.Time
}

// RefreshTokenStore persists refresh tokens.
type RefreshTokenStore interface {
	// Create inserts t, assigning an ID when t.ID is empty.
	Create(ctx context.Context, t *RefreshToken) error
	// ByHash returns the token with that hash, used or not, or an error
	// matching ErrInvalidRefreshToken.
	ByHash(ctx context.Context, hash []byte) (*RefreshToken, error)
	// MarkUsed spends the token atomically: of concurrent callers exactly one
	// gets nil, the others an error matching ErrInvalidRefreshToken.
	MarkUsed(ctx context.Context, id string, at time.Time) error
	// Rotate finds the token of session sessionID with that hash, and, when
	// it is unspent and unexpired at at, spends it, stores next in its
	// place and records the audit entry e, as one atomic step: all three
	// happen or none. It returns the token as found, and rotated false (with
	// nothing written) when it was spent already, had expired, or a
	// concurrent caller spent it: of concurrent callers exactly one wins.
	// No such token in that session is an error matching
	// ErrInvalidRefreshToken. It assigns IDs when empty.
	Rotate(ctx context.Context, hash []byte, sessionID string, at time.Time, next *RefreshToken, e *AuditEntry) (old *RefreshToken, rotated bool, err error)
}

// TokenPurpose says what a one-time token is for.
type TokenPurpose string

// One-time token purposes.
const (
	PurposeVerifyEmail   TokenPurpose = "verify_email"
	PurposeChangeEmail   TokenPurpose = "change_email"
	PurposeResetPassword TokenPurpose = "reset_password"
	PurposeMFALogin      TokenPurpose = "mfa_login"
	PurposeMFACode       TokenPurpose = "mfa_code"
	// PurposeAvatarUpload is a signed direct upload: the hash is of the
	// object id, Data the signed content type and maximum length.
	PurposeAvatarUpload TokenPurpose = "avatar_upload"
)

// OneTimeToken is a hashed secret for a single use: an email link, a login
// challenge, or a code sent by email or SMS.
type OneTimeToken struct {
	ID      string
	UserID  string
	Purpose TokenPurpose
	Hash    []byte
	// Data is purpose-specific, such as the new address of an email change.
	Data      string
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// OneTimeTokenStore persists one-time tokens.
type OneTimeTokenStore interface {
	// Create inserts t, assigning an ID when t.ID is empty.
	Create(ctx context.Context, t *OneTimeToken) error
	// ByHash returns the token with that purpose and hash, spent or not, or
	// an error matching ErrInvalidToken.
	ByHash(ctx context.Context, purpose TokenPurpose, hash []byte) (*OneTimeToken, error)
	// Latest returns the newest unspent token of the purpose for the user,
	// or ErrInvalidToken.
	Latest(ctx context.Context, userID string, purpose TokenPurpose) (*OneTimeToken, error)
	// Use spends the token atomically if it is unspent and unexpired at at:
	// of concurrent callers exactly one gets nil, the others ErrInvalidToken.
	Use(ctx context.Context, id string, at time.Time) error
	// AddAttempt counts one wrong guess against the token and returns the new
	// count. A token is spent once the count reaches max.
	AddAttempt(ctx context.Context, id string, max int, at time.Time) (int, error)
	// SpendAll spends every unspent token of the purpose for the user and
	// returns how many.
	SpendAll(ctx context.Context, userID string, purpose TokenPurpose, at time.Time) (int, error)
	// DeleteExpired deletes at most limit tokens that expired or were spent
	// before cutoff and returns how many.
	DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error)
}
