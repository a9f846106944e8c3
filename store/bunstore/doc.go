// Package bunstore implements store.Store on uptrace/bun, for PostgreSQL
// (pgdialect, bun's pgdriver) in production and SQLite (sqlitedialect, the
// pure-Go modernc.org/sqlite driver) as the embedded default.
//
// One schema serves both, created by versioned migrations embedded in the
// package and applied by Migrate. On SQLite the store serialises writers in
// process, so parallel requests queue instead of failing with "database is
// locked"; readers run in parallel thanks to WAL.
//
//	st, err := bunstore.Open(ctx, "sqlite://usermgmt.db")
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//	if err := st.Migrate(ctx); err != nil {
//		return err
//	}
//
// A host that manages its own *bun.DB passes it to New instead.
package bunstore
