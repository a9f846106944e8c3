package driverbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

const (
	dsnEnv      = "USERMGMT_TEST_POSTGRES_DSN"
	requiredEnv = "USERMGMT_TEST_POSTGRES_REQUIRED"
	skipFileEnv = "USERMGMT_TEST_POSTGRES_SKIP_FILE"
	seedRows    = 10_000
)

type benchUser struct {
	bun.BaseModel `bun:"table:bench_users"`

	ID    uuid.UUID `bun:"id,pk,type:uuid"`
	Email string    `bun:"email"`
	Name  string    `bun:"name"`
}

// driverCase opens a *sql.DB for one driver configuration. search_path is
// set to the benchmark schema so the queries are exactly what an
// application would send.
type driverCase struct {
	name string
	open func(dsn, schema string) (*sql.DB, error)
}

func pgxMode(mode string) func(dsn, schema string) (*sql.DB, error) {
	return func(dsn, schema string) (*sql.DB, error) {
		params := map[string]string{"search_path": schema}
		if mode != "" {
			params["default_query_exec_mode"] = mode
		}
		u, err := withQuery(dsn, params)
		if err != nil {
			return nil, err
		}
		return sql.Open("pgx", u)
	}
}

var driverCases = []driverCase{
	{"pgdriver", func(dsn, schema string) (*sql.DB, error) {
		return sql.OpenDB(pgdriver.NewConnector(
			pgdriver.WithDSN(dsn),
			pgdriver.WithConnParams(map[string]any{"search_path": schema}),
		)), nil
	}},
	// pgx default: cache_statement (prepare + cache every distinct SQL text).
	{"pgx_default", pgxMode("")},
	{"pgx_simple_protocol", pgxMode("simple_protocol")},
	{"pgx_cache_describe", pgxMode("cache_describe")},
	{"pgx_exec", pgxMode("exec")},
}

func withQuery(dsn string, params map[string]string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse DSN: %w", err)
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// fixture is the shared schema, created lazily on first use and dropped in
// TestMain.
var fixture struct {
	schemaOnce sync.Once
	seedOnce   sync.Once
	dsn        string
	schema     string
	ids        []uuid.UUID
	err        error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.schema != "" {
		if err := dropSchema(fixture.dsn, fixture.schema); err != nil {
			fmt.Fprintf(os.Stderr, "driverbench: drop schema %s: %v\n", fixture.schema, err)
		}
	}
	os.Exit(code)
}

// needPostgres returns the DSN, or skips (fails when
// USERMGMT_TEST_POSTGRES_REQUIRED=1) when none is configured.
func needPostgres(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn != "" {
		return dsn
	}
	if os.Getenv(requiredEnv) == "1" {
		tb.Fatalf("%s is not set but %s=1", dsnEnv, requiredEnv)
	}
	msg := fmt.Sprintf("POSTGRES_TESTS_SKIPPED: %s: %s not set", tb.Name(), dsnEnv)
	if f := os.Getenv(skipFileEnv); f != "" {
		if fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(fh, msg)
			_ = fh.Close()
		}
	}
	tb.Skip(msg)
	return ""
}

func adminDB(dsn string) *bun.DB {
	return bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn))), pgdialect.New())
}

func setupSchema(tb testing.TB) (dsn, schema string) {
	tb.Helper()
	dsn = needPostgres(tb)
	fixture.schemaOnce.Do(func() {
		ctx := context.Background()
		db := adminDB(dsn)
		defer db.Close()
		name := "driverbench_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
		if _, err := db.ExecContext(ctx, "CREATE SCHEMA ?", bun.Ident(name)); err != nil {
			fixture.err = fmt.Errorf("create schema: %w", err)
			return
		}
		fixture.dsn, fixture.schema = dsn, name
		if _, err := db.ExecContext(ctx, "CREATE TABLE ?.bench_users (id uuid PRIMARY KEY, email text UNIQUE, name text)", bun.Ident(name)); err != nil {
			fixture.err = fmt.Errorf("create table: %w", err)
		}
	})
	if fixture.err != nil {
		tb.Fatal(fixture.err)
	}
	return fixture.dsn, fixture.schema
}

func setupSeed(tb testing.TB) (dsn, schema string, ids []uuid.UUID) {
	tb.Helper()
	dsn, schema = setupSchema(tb)
	fixture.seedOnce.Do(func() {
		ctx := context.Background()
		db := adminDB(dsn)
		defer db.Close()
		ids := make([]uuid.UUID, 0, seedRows)
		batch := make([]benchUser, 0, 1000)
		for i := 0; i < seedRows; i++ {
			id := uuid.New()
			ids = append(ids, id)
			batch = append(batch, benchUser{ID: id, Email: fmt.Sprintf("seed-%d@example.com", i), Name: fmt.Sprintf("Seed User %d", i)})
			if len(batch) == cap(batch) || i == seedRows-1 {
				if _, err := db.NewInsert().Model(&batch).ModelTableExpr("?.bench_users", bun.Ident(schema)).Exec(ctx); err != nil {
					fixture.err = fmt.Errorf("seed: %w", err)
					return
				}
				batch = batch[:0]
			}
		}
		if _, err := db.ExecContext(ctx, "ANALYZE ?.bench_users", bun.Ident(schema)); err != nil {
			fixture.err = fmt.Errorf("analyze: %w", err)
			return
		}
		fixture.ids = ids
	})
	if fixture.err != nil {
		tb.Fatal(fixture.err)
	}
	return dsn, schema, fixture.ids
}

func dropSchema(dsn, schema string) error {
	db := adminDB(dsn)
	defer db.Close()
	_, err := db.ExecContext(context.Background(), "DROP SCHEMA ? CASCADE", bun.Ident(schema))
	return err
}

// openBun opens a bun.DB for a driver case with the common pool settings
// and fills the pool so connection setup is not measured.
func openBun(tb testing.TB, dc driverCase, dsn, schema string) *bun.DB {
	tb.Helper()
	sqldb, err := dc.open(dsn, schema)
	if err != nil {
		tb.Fatal(err)
	}
	pool := 2 * runtime.GOMAXPROCS(0)
	sqldb.SetMaxOpenConns(pool)
	sqldb.SetMaxIdleConns(pool)
	db := bun.NewDB(sqldb, pgdialect.New())
	tb.Cleanup(func() { _ = db.Close() })

	ctx := context.Background()
	conns := make([]*sql.Conn, 0, pool)
	for i := 0; i < pool; i++ {
		c, err := sqldb.Conn(ctx)
		if err != nil {
			tb.Fatalf("%s: connect: %v", dc.name, err)
		}
		if err := c.PingContext(ctx); err != nil {
			tb.Fatalf("%s: ping: %v", dc.name, err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	return db
}

func BenchmarkSelectByPK(b *testing.B) {
	for _, dc := range driverCases {
		b.Run(dc.name, func(b *testing.B) {
			dsn, schema, ids := setupSeed(b)
			db := openBun(b, dc, dsn, schema)
			ctx := context.Background()

			// Sanity check once per driver: the row comes back intact.
			var row benchUser
			if err := db.NewSelect().Model(&row).Where("id = ?", ids[0]).Scan(ctx); err != nil {
				b.Fatal(err)
			}
			if row.ID != ids[0] || row.Email != "seed-0@example.com" {
				b.Fatalf("unexpected row %+v", row)
			}

			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := ids[rand.IntN(len(ids))]
					var row benchUser
					if err := db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkInsert(b *testing.B) {
	for _, dc := range driverCases {
		b.Run(dc.name, func(b *testing.B) {
			dsn, schema := setupSchema(b)
			db := openBun(b, dc, dsn, schema)
			ctx := context.Background()

			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := uuid.New()
					u := benchUser{ID: id, Email: id.String() + "@example.com", Name: "Bench User"}
					if _, err := db.NewInsert().Model(&u).Exec(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestSQLState documents how each driver exposes the SQLSTATE of a server
// error (here 23505 unique_violation): pgdriver returns a pgdriver.Error
// value (code in Field('C')), pgx returns a *pgconn.PgError (code in Code).
func TestSQLState(t *testing.T) {
	for _, dc := range driverCases {
		t.Run(dc.name, func(t *testing.T) {
			dsn, schema := setupSchema(t)
			db := openBun(t, dc, dsn, schema)
			ctx := context.Background()

			id := uuid.New()
			u := benchUser{ID: id, Email: "dup-" + id.String() + "@example.com", Name: "x"}
			if _, err := db.NewInsert().Model(&u).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			u.ID = uuid.New()
			_, err := db.NewInsert().Model(&u).Exec(ctx)
			if err == nil {
				t.Fatal("expected unique violation")
			}

			var code string
			var pgdErr pgdriver.Error
			var pgxErr *pgconn.PgError
			switch {
			case errors.As(err, &pgdErr):
				code = pgdErr.Field('C')
				if dc.name != "pgdriver" {
					t.Errorf("unexpected pgdriver.Error from %s", dc.name)
				}
			case errors.As(err, &pgxErr):
				code = pgxErr.Code
				if dc.name == "pgdriver" {
					t.Errorf("unexpected *pgconn.PgError from pgdriver")
				}
			default:
				t.Fatalf("error %T %v carries no SQLSTATE", err, err)
			}
			if code != "23505" {
				t.Fatalf("SQLSTATE = %q, want 23505 (err: %v)", code, err)
			}
		})
	}
}
