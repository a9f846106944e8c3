package store

import (
	"context"
	"time"
)

// UserCounts are how many users have each status, and how many of all
// have a verified email and 2FA on.
type UserCounts struct {
	ByStatus  map[Status]int
	Verified  int
	TwoFactor int
}

// DayCount is how many of something fell on one UTC day.
type DayCount struct {
	Day   time.Time // midnight UTC
	Count int
}

// UserStatsStore answers the counts of the admin dashboard and
// statistics, each in one indexed query.
type UserStatsStore interface {
	// Counts returns the users by status, verified and with 2FA on.
	Counts(ctx context.Context) (UserCounts, error)
	// CreatedSince returns, for each of since, how many users were created
	// at or after it.
	CreatedSince(ctx context.Context, since ...time.Time) ([]int, error)
	// LiveSessions returns how many sessions are neither revoked nor
	// expired at now.
	LiveSessions(ctx context.Context, now time.Time) (int, error)
	// SignupsPerDay returns how many users were created on each UTC day
	// in [from, to), oldest first, leaving out days without any.
	SignupsPerDay(ctx context.Context, from, to time.Time) ([]DayCount, error)
}
