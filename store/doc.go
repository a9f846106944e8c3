// Package store is the domain of usermgmt: the entities, the small
// per-aggregate interfaces that persist them, and the one error type every
// package returns.
//
// It imports nothing else of the module, so every package may import it.
// Entities carry no JSON tags: wire shapes live in the HTTP layer, so a
// password hash cannot be serialised by accident.
//
// The only implementation is store/bunstore; store/storetest is the
// conformance suite any implementation must pass:
//
//	st, err := bunstore.Open(ctx, "sqlite://usermgmt.db")
//	if err != nil { ... }
//	err = st.InTx(ctx, func(tx store.Repos) error {
//		u, err := tx.Users().ByEmail(ctx, "ada@example.com")
//		if errors.Is(err, store.ErrUserNotFound) { ... }
//		...
//	})
package store
