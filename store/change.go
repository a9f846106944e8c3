package store

// ChangeKind says what a Change is about.
type ChangeKind uint8

// The changes a store announces. They are what a cache of an authenticated
// request's facts (the session, the user's status and roles) must drop.
const (
	// UserChanged: the user's row, or the roles they hold, changed (or the
	// user was deleted). UserID names them.
	UserChanged ChangeKind = iota + 1
	// SessionRevoked: one session was revoked. SessionID names it.
	SessionRevoked
	// UserSessionsRevoked: sessions of UserID were revoked together.
	UserSessionsRevoked
	// RolesChanged: a role's permissions changed or a role was deleted, so
	// every holder may be affected.
	RolesChanged
	// EventsAppended: the transaction wrote events to the outbox, so a
	// dispatcher of this process can deliver them at once.
	EventsAppended
	// NotificationCreated: an in-app notification for UserID was created,
	// for live streams of the user's notifications to wake.
	NotificationCreated
	// ChangesMissed: changes made elsewhere may have gone unheard (the
	// store's notification connection to other instances was down), so
	// everything cached must be dropped.
	ChangesMissed
)

// Change is a committed write that others in the process may have cached.
type Change struct {
	Kind      ChangeKind
	UserID    string
	SessionID string
}

// Changes is how services learn that a user changed. A Store announces,
// after each commit, the Changes its writes made: written inside InTx
// they are announced once the transaction commits, and never when it rolls
// back; written outside one, after the statement. Subscribers run
// synchronously, before the write's call returns, so that a change is
// seen at once by the process that made it (read-your-writes); they must
// be quick and must not call the store.
//
// Changes reach only subscribers of this process, except where the store
// tells other instances too (bunstore on PostgreSQL does, with
// LISTEN/NOTIFY, within milliseconds). Other instances always learn them
// within the session staleness bound.
type Changes interface {
	// Subscribe calls fn for every Change until cancel is called.
	Subscribe(fn func(Change)) (cancel func())
}
