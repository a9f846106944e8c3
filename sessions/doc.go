// Package sessions owns a session's lifecycle: it lists and revokes a
// user's sessions, one per signed-in device, and answers from a bounded
// per-process cache whether a session is live and what its user may do
// (State). The cache never serves a state older than the staleness bound,
// and drops one at once when the store announces a change to the session
// or its user (store.Changes), so a revocation, suspension or role change
// made in this process takes effect here immediately.
//
//	page, err := m.Sessions().List(ctx, userID, currentSessionID, store.ListRequest{})
//	n, err := m.Sessions().RevokeOthers(ctx, userID, currentSessionID)
//	// inside another service's transaction:
//	n, err := m.Sessions().RevokeUser(ctx, tx, userID, "", "suspended", "session.revoke_all")
package sessions
