package store

import (
	"context"
	"time"
)

// Session is one signed-in device. Its refresh tokens and access tokens are
// valid only while it is not revoked and not expired.
type Session struct {
	ID         string
	UserID     string
	DeviceName string
	IP         string
	UserAgent  string
	// FingerprintHash is the hash of the X-Device-Fingerprint header sent at
	// login, or empty when the session is not bound to a device.
	FingerprintHash string
	// ImpersonatorID is the admin acting as the user, if any.
	ImpersonatorID string
	CreatedAt      time.Time
	LastSeenAt     time.Time
	// ExpiresAt is the absolute end of the session.
	ExpiresAt     time.Time
	RevokedAt     *time.Time
	RevokeReason  string
	MFAVerifiedAt *time.Time
}

// Active reports whether the session can be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// SessionStore persists sessions.
type SessionStore interface {
	// Create inserts s, assigning an ID when s.ID is empty.
	Create(ctx context.Context, s *Session) error
	// ByID returns the session or an error matching ErrSessionNotFound.
	ByID(ctx context.Context, id string) (*Session, error)
	// List returns one page of the user's sessions that are neither
	// revoked nor expired at now. It sorts by "createdAt" or "lastSeenAt",
	// newest created first by default (ties by id); another sort field is a
	// Validation naming "sort".
	List(ctx context.Context, userID string, now time.Time, r ListRequest) (Page[Session], error)
	// Touch sets LastSeenAt (and IP when not empty).
	Touch(ctx context.Context, id string, at time.Time, ip string) error
	// MarkMFAVerified records a step-up verification on the session.
	MarkMFAVerified(ctx context.Context, id string, at time.Time) error
	// Revoke revokes one session; revoking a revoked session is not an
	// error. ErrSessionNotFound when it does not exist.
	Revoke(ctx context.Context, id string, at time.Time, reason string) error
	// RevokeByUser revokes every live session of the user except exceptID
	// (which may be empty) and returns how many it revoked.
	RevokeByUser(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error)
	// DeleteStale deletes at most limit sessions that expired or were
	// revoked before cutoff, with their refresh tokens, and returns how many.
	DeleteStale(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// RememberDevice records that the user signed in from the device
	// identified by deviceHash (a hash, never a raw header). isNew reports
	// that it was not known before; hadOthers that the user had signed in
	// from another known device already. Concurrent calls for one device
	// report it new at most once.
	RememberDevice(ctx context.Context, userID, deviceHash string, at time.Time) (isNew, hadOthers bool, err error)
}
