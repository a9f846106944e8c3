package store

import (
	"context"
	"time"
)

// LoginFailures is the failed-login record of one normalised identifier
// (an email or username), kept whether or not an account has it, so that a
// lock says nothing about existence.
type LoginFailures struct {
	Identifier string
	// Count is the number of failures in the current window.
	Count       int
	WindowStart time.Time
	LockedUntil *time.Time
	// Locks counts the locks so far; a policy may lengthen each new one.
	Locks     int
	UpdatedAt time.Time
}

// LockoutPolicy decides when failures lock an identifier.
type LockoutPolicy struct {
	// Threshold failures within Window lock the identifier.
	Threshold int
	Window    time.Duration
	// LockFor is the first lock's length; each further lock doubles it up to
	// MaxLock.
	LockFor time.Duration
	MaxLock time.Duration
}

// LockoutStore counts failed logins.
type LockoutStore interface {
	// Failures returns the record of the identifier; a zero record (Count 0)
	// when there is none.
	Failures(ctx context.Context, identifier string) (LoginFailures, error)
	// RecordFailure counts one failure atomically (concurrent calls each
	// count) and applies the policy; it returns the record afterwards.
	RecordFailure(ctx context.Context, identifier string, at time.Time, p LockoutPolicy) (LoginFailures, error)
	// Reset forgets the identifier's failures and lock.
	Reset(ctx context.Context, identifier string) error
}
