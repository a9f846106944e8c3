package bunstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the PostgreSQL advisory lock that makes concurrent
// Migrate calls from several instances apply each migration once.
const migrationLockID = 0x75736572 // "user"

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the migrations the database has not seen yet, in order,
// in one transaction. On PostgreSQL a transaction-scoped advisory lock
// serialises concurrent callers (DDL is transactional there, so a failed
// migration leaves nothing behind); on SQLite the write lock does.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := loadMigrations(s.db.Dialect().Name())
	if err != nil {
		return err
	}
	if s.writeMu != nil {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if s.writeMu == nil {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockID); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var applied []int
		if err := tx.NewSelect().Table("schema_migrations").Column("version").Scan(ctx, &applied); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		done := make(map[int]bool, len(applied))
		for _, v := range applied {
			done[v] = true
		}
		for _, m := range migs {
			if done[m.version] {
				continue
			}
			if err := m.apply(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bunstore: migrate: %w", translate(err, nil))
	}
	return nil
}

func (m migration) apply(ctx context.Context, tx bun.Tx) error {
	for _, stmt := range splitStatements(m.sql) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	_, err := tx.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, utc(nowFunc()).Format("2006-01-02T15:04:05Z07:00"))
	return err
}

// loadMigrations reads the embedded migrations and fills in the dialect's
// column types.
func loadMigrations(d dialect.Name) ([]migration, error) {
	types := map[string]string{
		"{{id}}": "uuid", "{{time}}": "timestamptz", "{{bytes}}": "bytea",
		"{{bool}}": "boolean", "{{json}}": "text", "{{now}}": "now()",
	}
	if d == dialect.SQLite {
		types = map[string]string{
			"{{id}}": "TEXT", "{{time}}": "TEXT", "{{bytes}}": "BLOB",
			"{{bool}}": "BOOLEAN", "{{json}}": "TEXT",
			"{{now}}": "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')",
		}
	}
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var migs []migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		// NNNN_name.postgres.sql and NNNN_name.sqlite.sql hold what only
		// one dialect has (an extension, a virtual table); they share
		// the version number, each applied only on its own dialect.
		if only, ok := dialectOnly(base); ok {
			if only != d {
				continue
			}
			base = base[:strings.LastIndexByte(base, '.')]
		}
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("bunstore: bad migration file name %q", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		text := string(b)
		for k, v := range types {
			text = strings.ReplaceAll(text, k, v)
		}
		migs = append(migs, migration{version: version, name: name, sql: text})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	return migs, nil
}

// dialectOnly reports the dialect a migration file's base name is
// limited to, if any.
func dialectOnly(base string) (dialect.Name, bool) {
	switch {
	case strings.HasSuffix(base, ".postgres"):
		return dialect.PG, true
	case strings.HasSuffix(base, ".sqlite"):
		return dialect.SQLite, true
	}
	return dialect.Invalid, false
}

// splitStatements splits a migration at semicolons that end a line. Lines
// starting with "--" are comments.
func splitStatements(text string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}
