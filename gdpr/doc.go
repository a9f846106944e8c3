// Package gdpr erases accounts, purges soft-deleted ones whose recovery
// window has passed, and exports everything held about a user.
//
// Erasure deletes the user row and every row keyed to it in one
// transaction. Audit entries stay, pseudonymised: the user's id becomes
// one random UUID recorded nowhere (the same for all of the user's
// entries, so counts and analytics still add up), and IPs, user agents
// and metadata values that could hold personal data are removed.
//
//	svc := m.GDPR()
//	if err := svc.Erase(ctx, userID); err != nil { ... } // 422 LAST_ADMIN for the last admin
//	n, err := svc.Purge(ctx)                            // what Manager.Run does periodically
//	err = svc.Export(ctx, userID, w)                    // streamed JSON
package gdpr
