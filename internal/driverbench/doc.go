// Package driverbench exists only to compare PostgreSQL database/sql
// drivers as the backend of bun (github.com/uptrace/bun with pgdialect).
//
// It contains no production code: its _test.go file holds benchmarks that
// run the same bun queries (a primary-key lookup and a single-row insert)
// through github.com/uptrace/bun/driver/pgdriver and through
// github.com/jackc/pgx/v5/stdlib in several query-execution modes, with
// identical connection pool settings, plus a test that shows how each
// driver exposes the SQLSTATE of a server error.
//
// The benchmarks need a PostgreSQL server and skip without one. Run them
// against a throwaway cluster with:
//
//	./scripts/test.sh -run '^$' -bench . -benchtime 3s ./internal/driverbench/
//
// or point USERMGMT_TEST_POSTGRES_DSN at an existing database. Everything is
// created in a fresh, randomly named schema that is dropped afterwards.
package driverbench
