package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// refreshScript is what one refresh asks of PostgreSQL, as the bunstore
// sends it (rotateSQL in store/bunstore/rotate.go): the statement, its
// shape and its one round trip, with pgbench variables where the Go code
// has values. Client c spends, in order, the seeded tokens whose hash is
// md5("c-i"), so every transaction spends a live token and writes the new
// token and the audit row, as a successful refresh does.
const refreshScript = `\set i :i + 1
WITH old AS (
	SELECT id, user_id, created_at, expires_at, used_at FROM refresh_tokens WHERE hash = decode(md5(:client_id::text || '-' || :i::text), 'hex') AND session_id = :sid::uuid
), spent AS (
	UPDATE refresh_tokens SET used_at = now() WHERE id = (SELECT id FROM old) AND used_at IS NULL AND expires_at > now() RETURNING id
), token AS (
	INSERT INTO refresh_tokens (id, session_id, user_id, hash, created_at, expires_at)
	SELECT gen_random_uuid(), :sid::uuid, :uid::uuid, sha256(random()::text::bytea), now(), now() + interval '30 days' FROM spent RETURNING id
), entry AS (
	INSERT INTO audit_log (id, actor_id, impersonator_id, action, target_id, outcome, ip, user_agent, request_id, metadata, created_at)
	SELECT gen_random_uuid(), :uid::uuid, NULL, 'auth.refresh', :uid::uuid, 'success', '127.0.0.1', 'Go-http-client/1.1', 'pgbench', '{"session_id":"' || :sid::text || '"}', now() FROM spent RETURNING id
)
SELECT id, user_id, created_at, expires_at, used_at, (SELECT count(*) FROM spent) FROM old;
`

// seedPgbench stores perClient live refresh tokens for each of conc
// pgbench clients in the session sessionID of userID, one statement per
// client so that none runs long.
func seedPgbench(ctx context.Context, db *bun.DB, sessionID, userID string, conc, perClient int) error {
	for c := 0; c < conc; c++ {
		_, err := db.ExecContext(ctx, `INSERT INTO refresh_tokens (id, session_id, user_id, hash, created_at, expires_at)
			SELECT gen_random_uuid(), ?, ?, decode(md5(?::text || '-' || i::text), 'hex'), now(), now() + interval '30 days'
			FROM generate_series(1, ?) AS i`, sessionID, userID, c, perClient)
		if err != nil {
			return fmt.Errorf("seed pgbench tokens: %w", err)
		}
	}
	return nil
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs refreshScript with conc clients for dur, on the tokens
// seeded in session sessionID of userID, and returns the transactions per
// second. Each client's counter starts at start, so successive runs spend
// fresh tokens.
func pgbench(dsn, sessionID, userID string, conc int, dur time.Duration, start int) (float64, error) {
	dir, err := os.MkdirTemp("", "loadtest-pgbench")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "refresh.sql")
	if err := os.WriteFile(script, []byte(refreshScript), 0o600); err != nil {
		return 0, err
	}
	out, err := exec.Command("pgbench", "-n", "-M", "extended", "-c", strconv.Itoa(conc), "-j", "2",
		"-T", strconv.Itoa(int(dur.Seconds())), "-D", "i="+strconv.Itoa(start), "-D", "sid="+sessionID, "-D", "uid="+userID, "-f", script, dsn).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench: no tps in %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
