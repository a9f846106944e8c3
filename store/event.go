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
}
