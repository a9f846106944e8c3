package bunstore

import (
	"testing"

	"github.com/uptrace/bun/dialect"
)

// Each dialect sees every version once: a dialect-only file
// (NNNN_name.postgres.sql, NNNN_name.sqlite.sql) is applied on its own
// dialect and skipped on the other.
func TestLoadMigrationsVersionsUniquePerDialect(t *testing.T) {
	for _, d := range []dialect.Name{dialect.PG, dialect.SQLite} {
		migs, err := loadMigrations(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		seen := map[int]string{}
		for _, m := range migs {
			if prev, dup := seen[m.version]; dup {
				t.Errorf("%s: version %04d twice (%s and %s)", d, m.version, prev, m.name)
			}
			seen[m.version] = m.name
		}
	}
}

func TestDialectOnly(t *testing.T) {
	cases := []struct {
		base string
		want dialect.Name
		ok   bool
	}{
		{"0007_search.postgres", dialect.PG, true},
		{"0007_search.sqlite", dialect.SQLite, true},
		{"0006_outbox", dialect.Invalid, false},
	}
	for _, c := range cases {
		got, ok := dialectOnly(c.base)
		if got != c.want || ok != c.ok {
			t.Errorf("dialectOnly(%q) = %v, %v; want %v, %v", c.base, got, ok, c.want, c.ok)
		}
	}
}
