package bunstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// nowFunc is the clock of the migration bookkeeping only; every domain
// timestamp comes from the caller.
var nowFunc = time.Now

// Open connects to the database named by dsn and returns a Store on it. It
// does not migrate; call Migrate.
//
//   - "sqlite://PATH" opens (creating) a SQLite file in WAL mode with a busy
//     timeout, foreign keys on and immediate write transactions.
//   - "sqlite://:memory:" opens a private in-memory database (one
//     connection, so every query sees the same data).
//   - "postgres://..." or "postgresql://..." opens PostgreSQL through bun's
//     pgdriver.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var db *bun.DB
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		sqldb, err := openSQLite(strings.TrimPrefix(dsn, "sqlite://"))
		if err != nil {
			return nil, err
		}
		db = bun.NewDB(sqldb, sqlitedialect.New())
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		sqldb, err := openPostgres(dsn)
		if err != nil {
			return nil, err
		}
		db = bun.NewDB(sqldb, pgdialect.New())
	default:
		return nil, fmt.Errorf("bunstore: unsupported database URL (want sqlite:// or postgres://)")
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("bunstore: connect: %w", translate(err, nil))
	}
	return New(db)
}

func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, fmt.Errorf("bunstore: sqlite:// needs a path or :memory:")
	}
	params := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		params.Add("_pragma", p)
	}
	params.Set("_txlock", "immediate")
	memory := path == ":memory:"
	if memory {
		params.Del("_pragma")
		params.Add("_pragma", "foreign_keys(1)")
	}
	sqldb, err := sql.Open("sqlite", "file:"+path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("bunstore: open sqlite: %w", err)
	}
	if memory {
		// Every connection to :memory: is a new database: keep exactly one.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetMaxIdleConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
	} else {
		n := max(4, runtime.GOMAXPROCS(0))
		sqldb.SetMaxOpenConns(n)
		sqldb.SetMaxIdleConns(n)
	}
	return sqldb, nil
}

func openPostgres(dsn string) (*sql.DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("bunstore: bad postgres URL")
	}
	var opts []pgdriver.Option
	// search_path lets a host (and the test suite) keep usermgmt's tables
	// in a schema of their own.
	if sp := u.Query().Get("search_path"); sp != "" {
		q := u.Query()
		q.Del("search_path")
		u.RawQuery = q.Encode()
		opts = append(opts, pgdriver.WithConnParams(map[string]any{"search_path": sp}))
	}
	opts = append([]pgdriver.Option{pgdriver.WithDSN(u.String()), pgdriver.WithDialTimeout(3 * time.Second)}, opts...)
	sqldb := sql.OpenDB(pgdriver.NewConnector(opts...))
	n := 4 * runtime.GOMAXPROCS(0)
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return sqldb, nil
}
