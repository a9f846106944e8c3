// Package dbtest opens throwaway, migrated stores for tests: SQLite in a
// temporary directory, and PostgreSQL in a fresh schema of the server named
// by USERMGMT_TEST_POSTGRES_DSN.
//
// When that variable is unset the PostgreSQL half is skipped with a message
// containing POSTGRES_TESTS_SKIPPED, or fails when
// USERMGMT_TEST_POSTGRES_REQUIRED=1 (as scripts/test.sh and CI set it).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Environment variables read by the package.
const (
	EnvPostgresDSN      = "USERMGMT_TEST_POSTGRES_DSN"
	EnvPostgresRequired = "USERMGMT_TEST_POSTGRES_REQUIRED"
	EnvSkipFile         = "USERMGMT_TEST_POSTGRES_SKIP_FILE"
)

// Dialects are the names Each runs subtests under.
var Dialects = []string{"sqlite", "postgres"}

// Each runs fn once per database, as subtests named after the dialect,
// each with a fresh migrated store.
func Each(t *testing.T, fn func(t *testing.T, st *bunstore.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated store of the dialect ("sqlite" or
// "postgres"), closed and dropped when the test ends.
func Open(t testing.TB, dialect string) *bunstore.Store {
	t.Helper()
	if dialect == "postgres" {
		return Postgres(t)
	}
	return SQLite(t)
}

// SQLite returns a migrated store on a new SQLite file.
func SQLite(t testing.TB) *bunstore.Store {
	t.Helper()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	return open(t, dsn)
}

// Postgres returns a migrated store in a new schema of the test server.
func Postgres(t testing.TB) *bunstore.Store {
	t.Helper()
	return open(t, postgresSchema(t))
}

// PostgresInstances returns two stores on one new schema of the test
// server, as two instances of a service sharing one database see it: each
// has its own connections and hears the other's changes only through the
// database.
func PostgresInstances(t testing.TB) (a, b *bunstore.Store) {
	t.Helper()
	dsn := postgresSchema(t)
	return open(t, dsn), open(t, dsn, noMigrate)
}

// postgresSchema creates a schema, dropped when t ends, and returns the
// DSN that uses it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	schema := "t_" + randomHex(8)
	admin := open(t, dsn, noMigrate)
	ctx := context.Background()
	if _, err := admin.DB().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.DB().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	return WithSearchPath(dsn, schema)
}

// PostgresDSN returns the test server's DSN, or skips (or fails, when
// required) the test when there is none.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		if os.Getenv(EnvPostgresRequired) == "1" {
			t.Fatalf("dbtest: %s is required but unset", EnvPostgresDSN)
		}
		msg := fmt.Sprintf("POSTGRES_TESTS_SKIPPED: %s: set %s (scripts/test.sh does)", t.Name(), EnvPostgresDSN)
		noteSkip(msg)
		t.Skip(msg)
	}
	return dsn
}

// noteSkip appends msg to the file named by USERMGMT_TEST_POSTGRES_SKIP_FILE,
// because go test hides the skip messages of passing packages and CI must
// still see that PostgreSQL did not run.
func noteSkip(msg string) {
	name := os.Getenv(EnvSkipFile)
	if name == "" {
		return
	}
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = fmt.Fprintln(f, msg)
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("dbtest: bad DSN: %v", err))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

const noMigrate = true

func open(t testing.TB, dsn string, skipMigrate ...bool) *bunstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := bunstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if len(skipMigrate) == 0 {
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("dbtest: migrate: %v", err)
		}
	}
	return st
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// OtherProcess returns st as another process sharing its database sees
// it: services built on it hear none of the store's change announcements
// (store.Changes), as an instance on another machine would not, so tests
// can show what the staleness bound allows.
func OtherProcess(st store.Store) store.Store { return otherProcess{st} }

type otherProcess struct{ store.Store }

func (otherProcess) Subscribe(func(store.Change)) (cancel func()) { return func() {} }
