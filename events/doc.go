// Package events is the library's domain events and their transactional
// outbox: typed events written in the transaction of the change they
// describe, and a dispatcher that delivers them after commit.
//
// A service that changes a user calls Recorder.Emit (or Append, with a
// map payload) with the Repos of its transaction, next to its audit row:
// the event then exists exactly when the change does. Manager.Run runs a
// Dispatcher, which delivers each event to the host's Handlers (and
// internal Jobs, such as mail, to their work) at least once, in order per
// user, retrying with exponential backoff and jitter and dead-lettering
// after its maximum attempts. Any number of dispatchers may run on one
// store: a claim leases the entry (FOR UPDATE SKIP LOCKED on PostgreSQL).
//
// A host reacts to its users' changes with a handler:
//
//	m, err := usermgmt.New(st, usermgmt.WithEventHandler(events.HandlerFunc(
//		func(ctx context.Context, e events.Event) error {
//			if p, ok := e.Payload.(events.UserDeleted); ok && p.Permanent {
//				return orders.ForgetCustomer(ctx, e.UserID) // idempotent
//			}
//			return nil
//		})))
//
// or receives them over HTTP with WithWebhook, signed in the Standard
// Webhooks format that Verify checks.
package events
