package store

import (
	"context"
	"time"
)

// RateLimitStore counts requests in fixed windows that every instance
// shares.
type RateLimitStore interface {
	// Hit counts one request for key in the window that starts at start and
	// ends at end, and returns the window's count including this one.
	// Concurrent hits each count.
	Hit(ctx context.Context, key string, start, end time.Time) (int, error)
	// DeleteExpired deletes at most limit windows that ended before cutoff
	// and returns how many.
	DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error)
}
