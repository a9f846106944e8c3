package store

import (
	"context"
	"time"
)

// Status is the lifecycle state of an account.
type Status string

// Account statuses. A soft-deleted account keeps StatusDeleted until it is
// recovered or purged.
const (
	StatusActive      Status = "active"
	StatusDeactivated Status = "deactivated"
	StatusSuspended   Status = "suspended"
	StatusLocked      Status = "locked"
	StatusDeleted     Status = "deleted"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusDeactivated, StatusSuspended, StatusLocked, StatusDeleted:
		return true
	}
	return false
}

// Visibility says who may see a user's public profile.
type Visibility string

// Profile visibilities.
const (
	VisibilityPublic  Visibility = "public"
	VisibilityPrivate Visibility = "private"
)

// User is an account. Optional text fields are empty when unset. Email and
// Username are stored as given by the service layer, which normalises them;
// the store compares them case-insensitively.
type User struct {
	ID            string
	Email         string
	PendingEmail  string
	EmailVerified bool
	Username      string
	FirstName     string
	LastName      string
	DisplayName   string
	PhoneNumber   string
	Bio           string
	Location      string
	Website       string
	AvatarURL     string
	Visibility    Visibility
	Status        Status
	// PasswordHash is the encoded hash (algorithm and parameters included).
	// It is empty for an invited user who has not set a password yet.
	PasswordHash      string
	PasswordChangedAt *time.Time
	SuspendedReason   string
	SuspendedUntil    *time.Time
	DeletedAt         *time.Time
	PurgeAfter        *time.Time
	TwoFactorEnabled  bool
	TwoFactorMethod   string
	Preferences       Preferences
	CreatedAt         time.Time
	UpdatedAt         time.Time
	LastLoginAt       *time.Time
}

// Preferences are a user's settings. The zero value is not the default: use
// DefaultPreferences.
type Preferences struct {
	Language string // BCP 47
	Timezone string // IANA name
	Theme    string // light, dark or system
	// Notification choices.
	NotifyEmail    bool
	NotifyInApp    bool
	NotifySecurity bool
}

// DefaultPreferences returns the preferences of a new account.
func DefaultPreferences() Preferences {
	return Preferences{
		Language: "en", Timezone: "UTC", Theme: "system",
		NotifyEmail: true, NotifyInApp: true, NotifySecurity: true,
	}
}

// PasswordHistoryEntry is a previous password hash of a user, kept to refuse
// reuse.
type PasswordHistoryEntry struct {
	UserID    string
	Hash      string
	CreatedAt time.Time
}

// UserFilter selects users for an admin list. Empty fields do not filter.
type UserFilter struct {
	// Status keeps users with this status.
	Status Status
	// Role keeps users holding the role of this name, in any letter case.
	Role string
	// EmailVerified and TwoFactor, when set, keep users whose flag has
	// that value.
	EmailVerified *bool
	TwoFactor     *bool
	// CreatedFrom and CreatedTo keep users created at or after
	// CreatedFrom and before CreatedTo.
	CreatedFrom time.Time
	CreatedTo   time.Time
	// Q keeps users whose email, username, first name, last name, display
	// name or "first last" contains Q, ignoring letter case (ASCII letter
	// case on SQLite), with no special characters: % _ * ? [ match
	// themselves. A match never spans two fields. bunstore serves it from
	// a trigram index (pg_trgm on PostgreSQL, FTS5 on SQLite) for Q of
	// three or more characters.
	Q string
}

// User sort fields a UserStore.List offers, besides its default
// "-createdAt". "name" is "first last" ignoring letter case; "username"
// and "lastLoginAt" may be empty, and users without one come last in
// either direction. Text keys are ordered by the database's collation
// (byte order on SQLite), so the order of non-ASCII text may differ
// between databases; within one database it is total and stable.
const (
	UserSortCreatedAt   = "createdAt"
	UserSortEmail       = "email"
	UserSortUsername    = "username"
	UserSortName        = "name"
	UserSortLastLoginAt = "lastLoginAt"
)

// UserStore persists accounts.
type UserStore interface {
	// Create inserts u, assigning an ID when u.ID is empty. It returns an
	// error matching ErrEmailTaken or ErrUsernameTaken when another account
	// has the same email or username in any letter case.
	Create(ctx context.Context, u *User) error
	// ByID returns the user, or an error matching ErrUserNotFound.
	ByID(ctx context.Context, id string) (*User, error)
	// ByEmail finds a user by email, ignoring case; ErrUserNotFound if none.
	ByEmail(ctx context.Context, email string) (*User, error)
	// ByUsername finds a user by username, ignoring case; ErrUserNotFound if
	// none.
	ByUsername(ctx context.Context, username string) (*User, error)
	// Update is the one way to change a user row: it reads the row under a
	// lock held until the change commits (SELECT ... FOR UPDATE on
	// PostgreSQL, the writer lock on SQLite), passes it to fn, and writes
	// the columns fn changed. Called outside a transaction it runs in one
	// of its own. No write can therefore start from a copy read earlier, and
	// a change that committed meanwhile (a suspension, a lock, a role) is
	// never undone. An error from fn aborts the update and is returned as
	// is; fn may run more than once when the store retries. Update returns
	// the row as written, ErrUserNotFound when no such user exists, and
	// ErrEmailTaken or ErrUsernameTaken on a clash. fn must not change ID
	// or CreatedAt.
	Update(ctx context.Context, id string, fn func(u *User) error) (*User, error)
	// SetLastLogin records a successful login time.
	SetLastLogin(ctx context.Context, id string, at time.Time) error
	// Delete removes the user and everything that belongs to it; audit
	// entries stay. It returns ErrUserNotFound when no such user exists.
	Delete(ctx context.Context, id string) error
	// List returns one page of the users matching f, sorted by one of
	// the UserSort fields (newest first by default, ties by id). An unknown
	// sort field is a Validation naming "sort".
	List(ctx context.Context, f UserFilter, r ListRequest) (Page[User], error)
	// AddPasswordHistory records a hash the user has used.
	AddPasswordHistory(ctx context.Context, e PasswordHistoryEntry) error
	// PasswordHistory returns the user's most recent n hashes, newest first.
	PasswordHistory(ctx context.Context, userID string, n int) ([]PasswordHistoryEntry, error)
}
