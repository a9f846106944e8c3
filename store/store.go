package store

import "context"

// Repos gives access to every aggregate. Outside a transaction each call
// commits on its own; the Repos passed to an InTx function shares that
// transaction.
type Repos interface {
	Users() UserStore
	Roles() RoleStore
	Sessions() SessionStore
	RefreshTokens() RefreshTokenStore
	OneTimeTokens() OneTimeTokenStore
	Lockout() LockoutStore
	TwoFactor() TwoFactorStore
	Audit() AuditStore
	Notifications() NotificationStore
	SigningKeys() SigningKeyStore
	Avatars() AvatarStore
	RateLimits() RateLimitStore
	Erasure() ErasureStore
	Events() EventStore
	Bulk() BulkStore
	UserStats() UserStatsStore
}

// Store is the persistence the library needs. Implementations must be safe
// for concurrent use, keep no state that must live in one process, and pass
// the storetest conformance suite.
type Store interface {
	Repos
	Changes
	// InTx runs fn in one transaction: it commits when fn returns nil and
	// rolls back when fn returns an error or panics. fn must use only the
	// Repos it is given; it may be retried, so it must not have side effects
	// outside the store. An error from a Repos call may leave the
	// transaction unusable (PostgreSQL aborts it), so fn returns it rather
	// than carrying on.
	InTx(ctx context.Context, fn func(tx Repos) error) error
	// Ping checks that the store answers; it returns an error matching
	// ErrStoreUnavailable when it does not.
	Ping(ctx context.Context) error
	// Migrate brings the schema up to date. Concurrent calls from several
	// processes apply each migration exactly once.
	Migrate(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
