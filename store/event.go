package store

import (
	"context"
	"time"
)

// EventName is the stable name of a domain event, "area.verb". Hosts
// switch on it, so a name never changes once released.
type EventName string

// The domain events the library emits.
const (
	EventUserCreated     EventName = "user.created"
	EventUserUpdated     EventName = "user.updated"
	EventUserDeleted     EventName = "user.deleted"
	EventUserActivated   EventName = "user.activated"
	EventUserDeactivated EventName = "user.deactivated"
	EventUserSuspended   EventName = "user.suspended"
	EventUserBulkAction  EventName = "user.bulk_action"

	EventLoginSucceeded   EventName = "auth.login_succeeded"
	EventLoginFailed      EventName = "auth.login_failed"
	EventPasswordChanged  EventName = "auth.password_changed"
	EventTwoFactorChanged EventName = "auth.2fa_changed"
	EventSessionRevoked   EventName = "session.revoked"
)

// Event is one domain event, written to the outbox in the transaction of
// the change it describes, so that it exists exactly when the change
// does. Payload holds the event's facts as JSON-encodable values; never
// secrets (a UserUpdated names the changed fields, not their values).
type Event struct {
	// ID is assigned by Append (UUIDv7) when empty.
	ID   string
	Name EventName
	// UserID is the user the event is about, the key that orders delivery
	// ("" for events about many users, such as UserBulkAction).
	UserID string
	// ActorID and ImpersonatorID say who acted ("" for the system or an
	// anonymous caller).
	ActorID        string
	ImpersonatorID string
	Payload        map[string]any
	OccurredAt     time.Time
}

// EventStore is the outbox of domain events.
type EventStore interface {
	// Append writes e to the outbox, assigning its ID when empty. Called
	// with the Repos of a transaction it commits or rolls back with it.
	Append(ctx context.Context, e *Event) error
	OutboxStore
}

// OutboxEntry is an event in the outbox with its delivery state.
type OutboxEntry struct {
	Event
	// Attempts counts the deliveries started, the current one included.
	Attempts int
	// NextAttemptAt is when the event may be claimed again: the end of the
	// current lease while it is being delivered, the retry time after a
	// failure; nil for an event never claimed.
	NextAttemptAt *time.Time
	// LastError is the error of the last failed attempt.
	LastError string
	// DeadAt is when the event was given up on (dead-lettered); nil while
	// it is still to be delivered.
	DeadAt *time.Time
}

// OutboxStore is what the dispatcher needs of the outbox beyond Append.
// An event is due when it is neither dead nor leased past now, and no
// earlier event (by ID, which is time-ordered) of the same user is still
// to be delivered: that is what keeps delivery in order per user.
type OutboxStore interface {
	// Claim leases up to limit due events until leaseUntil, counting an
	// attempt on each, and returns them in ID order. Inside a transaction
	// it skips rows another transaction holds (FOR UPDATE SKIP LOCKED on
	// PostgreSQL; SQLite's writer lock serialises), so concurrent
	// dispatchers never claim one event twice; a lease that runs out (the
	// claimer died) makes the event due again.
	Claim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]OutboxEntry, error)
	// Delivered deletes a delivered event. It returns ErrNotFound when no
	// such event is in the outbox.
	Delivered(ctx context.Context, id string) error
	// Retry records a failed attempt: the event is due again at at.
	Retry(ctx context.Context, id string, at time.Time, lastError string) error
	// Bury dead-letters an event at at: it is kept, never delivered again
	// unless Requeue'd, and no longer holds back the user's later events.
	Bury(ctx context.Context, id string, at time.Time, lastError string) error
	// Dead returns up to limit dead-lettered events, oldest first.
	Dead(ctx context.Context, limit int) ([]OutboxEntry, error)
	// Requeue makes a dead-lettered event due at at with its attempts
	// reset. It returns ErrNotFound when no dead event has that id.
	Requeue(ctx context.Context, id string, at time.Time) error
}
