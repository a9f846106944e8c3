package datagen

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/usermgmt/usermgmt/store/bunstore"
)

// table is one COPY: the statement and how to write a person's rows.
type table struct {
	name  string
	copy  string
	write func(w *bufio.Writer, p person)
}

// copyPostgres streams each table through COPY, users first (the others
// refer to them), in one transaction that first drops the tables'
// secondary indexes and builds them again at the end (one sort per index
// instead of a million insertions; a failure leaves them as they were),
// then ANALYZEs, so that the first benchmark plans on real statistics.
// Where the role may (a superuser), foreign keys are not checked row by
// row: the generated rows are consistent by construction.
func (g gen) copyPostgres(ctx context.Context, st *bunstore.Store) (Result, error) {
	// Every generated user has the default preferences, in the JSON the
	// store writes.
	pj, err := json.Marshal(g.person(0).user.Preferences)
	if err != nil {
		return Result{}, err
	}
	tables := g.tables(string(pj))
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("datagen: %w", err)
	}
	defer conn.Close()
	for _, set := range []string{"SET synchronous_commit = off", "SET maintenance_work_mem = '256MB'"} {
		if _, err := conn.ExecContext(ctx, set); err != nil {
			return Result{}, fmt.Errorf("datagen: %w", err)
		}
	}
	// Only a superuser may skip the foreign-key triggers; others check.
	_, _ = conn.ExecContext(ctx, "SET session_replication_role = replica")
	defer conn.ExecContext(context.WithoutCancel(ctx), "RESET session_replication_role")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("datagen: %w", err)
	}
	defer tx.Rollback()
	var defs []string
	if err := tx.NewRaw(`SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
		WHERE i.indrelid IN ('users'::regclass, 'user_roles'::regclass, 'sessions'::regclass, 'two_factor'::regclass)
		AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`).Scan(ctx, &defs); err != nil {
		return Result{}, fmt.Errorf("datagen: read indexes: %w", err)
	}
	// pg_get_indexdef leaves out per-column statistics targets (the
	// search index sets one): they are set again after the build.
	var targets []string
	if err := tx.NewRaw(`SELECT format('ALTER INDEX %s ALTER COLUMN %s SET STATISTICS %s', a.attrelid::regclass, a.attnum, a.attstattarget)
		FROM pg_attribute a JOIN pg_index i ON i.indexrelid = a.attrelid
		WHERE i.indrelid IN ('users'::regclass, 'user_roles'::regclass, 'sessions'::regclass, 'two_factor'::regclass)
		AND a.attstattarget > 0`).Scan(ctx, &targets); err != nil {
		return Result{}, fmt.Errorf("datagen: read statistics targets: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DO $$ DECLARE r record; BEGIN
		FOR r IN SELECT i.indexrelid::regclass AS name FROM pg_index i
			WHERE i.indrelid IN ('users'::regclass, 'user_roles'::regclass, 'sessions'::regclass, 'two_factor'::regclass)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		LOOP EXECUTE 'DROP INDEX ' || r.name; END LOOP; END $$`); err != nil {
		return Result{}, fmt.Errorf("datagen: drop indexes: %w", err)
	}
	res, err := g.copyTables(ctx, conn, tables)
	if err != nil {
		return Result{}, err
	}
	for _, def := range append(defs, targets...) {
		if _, err := tx.ExecContext(ctx, def); err != nil {
			return Result{}, fmt.Errorf("datagen: %s: %w", def, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("datagen: commit: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ANALYZE users, user_roles, sessions, two_factor"); err != nil {
		return Result{}, fmt.Errorf("datagen: analyze: %w", err)
	}
	return res, nil
}

// copyTables generates every person once: the first table's rows stream
// straight into its COPY, the others' go to temporary files that are
// copied after it (they refer to its rows).
func (g gen) copyTables(ctx context.Context, conn bun.Conn, tables []table) (Result, error) {
	rest := make([]*os.File, len(tables)-1)
	for k := range rest {
		f, err := os.CreateTemp("", "datagen-"+tables[k+1].name+"-*")
		if err != nil {
			return Result{}, fmt.Errorf("datagen: %w", err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		rest[k] = f
	}
	var res Result
	pr, pw := io.Pipe()
	go func() {
		first := bufio.NewWriterSize(pw, 1<<18)
		others := make([]*bufio.Writer, len(rest))
		for k, f := range rest {
			others[k] = bufio.NewWriterSize(f, 1<<18)
		}
		for i := 0; i < g.cfg.Users; i++ {
			p := g.person(i)
			res.count(p)
			tables[0].write(first, p)
			for k, w := range others {
				tables[k+1].write(w, p)
			}
		}
		err := first.Flush()
		for _, w := range others {
			err = errors.Join(err, w.Flush())
		}
		pw.CloseWithError(err)
	}()
	if _, err := pgdriver.CopyFrom(ctx, conn, pr, tables[0].copy); err != nil {
		pr.CloseWithError(err)
		return Result{}, fmt.Errorf("datagen: copy %s: %w", tables[0].name, err)
	}
	for k, f := range rest {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Result{}, fmt.Errorf("datagen: %w", err)
		}
		if _, err := pgdriver.CopyFrom(ctx, conn, bufio.NewReaderSize(f, 1<<18), tables[k+1].copy); err != nil {
			return Result{}, fmt.Errorf("datagen: copy %s: %w", tables[k+1].name, err)
		}
	}
	return res, nil
}

func (g gen) tables(prefs string) []table {
	return []table{
		{"users", `COPY users (id, email, email_verified, username, first_name, last_name, display_name,
			visibility, status, password_hash, password_changed_at, suspended_reason, deleted_at, purge_after,
			two_factor_enabled, two_factor_method, preferences, created_at, updated_at, last_login_at) FROM STDIN`,
			func(w *bufio.Writer, p person) {
				u := p.user
				row(w, u.ID, u.Email, boolText(u.EmailVerified), opt(u.Username), u.FirstName, u.LastName,
					u.DisplayName, string(u.Visibility), string(u.Status), u.PasswordHash, ts(u.PasswordChangedAt),
					opt(u.SuspendedReason), ts(u.DeletedAt), ts(u.PurgeAfter), boolText(u.TwoFactorEnabled),
					opt(u.TwoFactorMethod), prefs, ts(&u.CreatedAt), ts(&u.UpdatedAt), ts(u.LastLoginAt))
			}},
		{"user_roles", `COPY user_roles (user_id, role_id, created_at) FROM STDIN`,
			func(w *bufio.Writer, p person) {
				row(w, p.user.ID, g.roles[p.role], ts(&p.user.CreatedAt))
			}},
		{"sessions", `COPY sessions (id, user_id, device_name, ip, user_agent, created_at, last_seen_at, expires_at) FROM STDIN`,
			func(w *bufio.Writer, p person) {
				for _, s := range p.sessions {
					row(w, s.ID, s.UserID, s.DeviceName, s.IP, s.UserAgent, ts(&s.CreatedAt), ts(&s.LastSeenAt), ts(&s.ExpiresAt))
				}
			}},
		{"two_factor", `COPY two_factor (user_id, method, secret, enabled, last_step, created_at, updated_at) FROM STDIN`,
			func(w *bufio.Writer, p person) {
				if !p.twoFactor {
					return
				}
				row(w, p.user.ID, "totp", secretText(rng(g.cfg.Seed+1, p.index)), "t", "0", ts(&p.user.CreatedAt), ts(&p.user.CreatedAt))
			}},
	}
}

// null is COPY's text form of NULL.
const null = `\N`

// row writes one line of COPY text format. The generated values hold no
// tab, newline or backslash but for the escapes made here.
func row(w *bufio.Writer, cols ...string) {
	for k, c := range cols {
		if k > 0 {
			w.WriteByte('\t')
		}
		w.WriteString(c)
	}
	w.WriteByte('\n')
}

func opt(s string) string {
	if s == "" {
		return null
	}
	return s
}

func boolText(b bool) string {
	if b {
		return "t"
	}
	return "f"
}

func ts(t *time.Time) string {
	if t == nil {
		return null
	}
	return t.UTC().Format("2006-01-02 15:04:05.999999") + "+00"
}

// secretText is 20 random bytes as a bytea literal, its backslash doubled
// for COPY.
func secretText(r *rand.Rand) string {
	var b [20]byte
	for k := range b {
		b[k] = byte(r.Uint32())
	}
	return `\\x` + hex.EncodeToString(b[:])
}
