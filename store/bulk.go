package store

import (
	"context"
	"time"
)

// BulkTarget is what a bulk action needs to know about one user: its
// status and the roles it holds.
type BulkTarget struct {
	ID      string
	Status  Status
	RoleIDs []string
}

// StatusChange is the status a bulk action gives a set of users. DeletedAt
// and PurgeAfter are written with StatusDeleted; any other status clears
// them, and the suspension reason and end, since it ends the suspension.
type StatusChange struct {
	Status     Status
	At         time.Time
	PurgeAfter *time.Time
}

// ImportedUser is a user to create in bulk, with the roles it gets.
type ImportedUser struct {
	User    User
	RoleIDs []string
}

// UserSummary is what a walk over many users reads of each: the columns
// of an export, and the ids of the roles the user holds.
type UserSummary struct {
	ID            string
	Email         string
	Username      string
	FirstName     string
	LastName      string
	Status        Status
	EmailVerified bool
	CreatedAt     time.Time
	LastLoginAt   *time.Time
	RoleIDs       []string
}

// BulkStore reads and changes many users with one statement per call, so
// that admin work on thousands of users costs a few round trips per chunk
// rather than several per user. Callers bound the size of ids (the admin
// service sends chunks of at most a few hundred). Ids that are not UUIDs
// name no user: they are ignored, never an error.
type BulkStore interface {
	// Targets returns the users among ids that exist, each once, in no
	// particular order.
	Targets(ctx context.Context, ids []string) ([]BulkTarget, error)
	// SetStatus gives every user of ids the status of c (and UpdatedAt
	// c.At), announces UserChanged for each, and returns how many rows
	// it changed.
	SetStatus(ctx context.Context, ids []string, c StatusChange) (int, error)
	// AssignRole gives the role to every user of ids that does not hold
	// it yet, announces UserChanged for each of them, and returns how many
	// it gave it to. ErrRoleNotFound when there is no such role.
	AssignRole(ctx context.Context, ids []string, roleID string, at time.Time) (int, error)
	// RevokeSessions revokes every live session of the users of ids,
	// announces UserSessionsRevoked for each user who had one, and returns
	// how many sessions it revoked.
	RevokeSessions(ctx context.Context, ids []string, at time.Time, reason string) (int, error)
	// CountActiveHolders returns how many users with status active hold
	// the role, leaving out the users of except.
	CountActiveHolders(ctx context.Context, roleID string, except []string) (int, error)
	// RecordAudit appends the entries in one statement, assigning IDs
	// where empty.
	RecordAudit(ctx context.Context, entries []AuditEntry) error
	// EachUser calls fn for every user matching f, oldest first (ties by
	// id), reading one database cursor: memory stays bounded however many
	// users match. fn may keep nothing of the summary it gets, which is
	// reused. An error from fn stops the walk and is returned. The cursor,
	// and its connection, stay open until the walk ends, so fn should not
	// wait for long.
	EachUser(ctx context.Context, f UserFilter, fn func(u *UserSummary) error) error
	// Taken returns which of emails and usernames an account has already,
	// compared and returned in lower case.
	Taken(ctx context.Context, emails, usernames []string) (takenEmails, takenUsernames map[string]bool, err error)
	// CreateUsers inserts the users with one statement per table, skipping
	// rather than failing those whose email or username an account has
	// by then. It assigns IDs where empty, gives each created user its
	// RoleIDs and records its password hash in the history, and returns
	// the IDs of the users it created.
	CreateUsers(ctx context.Context, users []ImportedUser) ([]string, error)
	// AppendEvents writes the events to the outbox in one statement,
	// assigning IDs where empty.
	AppendEvents(ctx context.Context, events []Event) error
}
