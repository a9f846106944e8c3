// Package events writes the library's domain events (store.Event) to the
// transactional outbox, in the transaction of the change they describe.
//
// A service that changes a user calls Recorder.Append with the Repos of
// its transaction, next to its audit row: the event then exists exactly
// when the change does. Delivery to the host's handlers happens after
// commit, at least once and in order per user.
package events
