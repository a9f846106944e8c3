package store

import (
	"context"
	"time"
)

// Avatar describes an uploaded profile image. The bytes live in the avatar
// storage chosen by the host; the store keeps the metadata.
type Avatar struct {
	ID          string
	UserID      string
	ContentType string
	Size        int64
	Width       int
	Height      int
	CreatedAt   time.Time
}

// AvatarStore persists avatar metadata.
type AvatarStore interface {
	// Put records the user's current avatar, replacing any previous one, and
	// returns the replaced avatar's ID (empty when there was none).
	Put(ctx context.Context, a *Avatar) (string, error)
	// ByUser returns the user's avatar or an error matching ErrNotFound.
	ByUser(ctx context.Context, userID string) (*Avatar, error)
	// Delete removes the user's avatar record; ErrNotFound when none.
	Delete(ctx context.Context, userID string) error
}
