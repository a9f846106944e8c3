// Package storetest is the conformance suite of store.Store, in the spirit
// of testing/slogtest: an implementation passes when Run reports no
// failures. bunstore runs it on SQLite and on PostgreSQL; a third-party
// implementation runs it the same way.
//
// Run calls newStore once per case, so every case starts from a fresh,
// migrated store holding only the built-in roles, and cases do not depend
// on each other or on the order they run in:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			st, err := mystore.Open(t.Context(), "...fresh database...")
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { st.Close() })
//			if err := st.Migrate(t.Context()); err != nil {
//				t.Fatal(err)
//			}
//			return st
//		})
//	}
//
// Subtests are named "Aggregate/Case", such as "Users/EmailTakenAnyCase",
// so one case runs with
//
//	go test -run 'TestConformance/sqlite/Users/EmailTakenAnyCase'
//
// The suite checks the contracts written on the interfaces of package
// store: errors by errors.Is against the specific sentinel, case-insensitive
// uniqueness, ids that are not UUIDs naming no row, atomic spending of
// tokens and codes under concurrent callers, transactions that roll back
// on error and on panic, and the list contract of store.ListRequest:
// walking every page, with ties in the sort key and in both directions,
// returns each row once in order; nullable keys sort last; totals and page
// numbers agree; bad cursors, limits and sorts are refused. Times are compared at microsecond precision, the
// finest both SQLite and PostgreSQL keep.
package storetest
