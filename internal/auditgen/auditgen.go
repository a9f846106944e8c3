// Package auditgen fills a PostgreSQL audit_log with synthetic entries for
// query-plan tests and benchmarks: millions of rows in one INSERT ...
// SELECT generate_series per half million, so that 10,000,000 take minutes, not
// hours.
package auditgen

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

// Actors is how many distinct users the generated log names.
const Actors = 50_000

// actions are the generated entries' actions, logins the most common as
// in a real log.
var actions = []string{"auth.login", "auth.login", "auth.login", "auth.refresh", "auth.refresh",
	"auth.login_2fa", "auth.register", "user.update", "auth.logout", "session.revoke", "2fa.enable", "role.assign"}

// ActorQuery is a query selecting the id of generated user i
// (0 <= i < Actors), the same in every generated row.
func ActorQuery(i int) string {
	return fmt.Sprintf("SELECT md5('u' || %d)::uuid", i)
}

// Fill appends n entries to audit_log in one INSERT ... SELECT per
// half million rows (PostgreSQL only), spread evenly over the span ending at
// end, newest last, with the secondary indexes rebuilt afterwards, then
// VACUUMs and ANALYZEs the table. Row i is by user i mod
// Actors, about user (i*7) mod Actors, from IP
// 10.x.y.z where x.y.z is i mod 250^3 in base 250; one in ten fails, one
// in fifty is denied, one in ten carries the metadata mfa=required (the
// password step of a two-factor login).
func Fill(ctx context.Context, db *bun.DB, n int, span time.Duration, end time.Time) error {
	list := "ARRAY["
	for i, a := range actions {
		if i > 0 {
			list += ","
		}
		list += "'" + a + "'"
	}
	list += "]"
	// Maintaining every secondary index row by row costs twice what
	// building them afterwards does: set them aside, fill, rebuild.
	var defs []string
	err := db.NewRaw(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'audit_log'
		AND indexname <> 'audit_log_pkey'`).Scan(ctx, &defs)
	if err != nil {
		return fmt.Errorf("auditgen: list indexes: %w", err)
	}
	if _, err := db.ExecContext(ctx, `DO $$ DECLARE i record; BEGIN
		FOR i IN SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'audit_log' AND indexname <> 'audit_log_pkey'
		LOOP EXECUTE 'DROP INDEX ' || quote_ident(i.indexname); END LOOP; END $$`); err != nil {
		return fmt.Errorf("auditgen: drop indexes: %w", err)
	}
	if err := insert(ctx, db, n, span, end, list); err != nil {
		return err
	}
	for _, d := range defs {
		if _, err := db.ExecContext(ctx, d); err != nil {
			return fmt.Errorf("auditgen: rebuild index: %w", err)
		}
	}
	// VACUUM sets the visibility map, without which PostgreSQL cannot
	// answer from an index alone.
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE audit_log"); err != nil {
		return fmt.Errorf("auditgen: vacuum audit_log: %w", err)
	}
	return nil
}

// insert appends the n rows in chunks.
func insert(ctx context.Context, db *bun.DB, n int, span time.Duration, end time.Time, list string) error {
	step := span.Seconds() / float64(n)
	const chunk = 500_000
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n) - 1
		// Ids start with the entry's time in milliseconds, as UUIDv7s
		// do, so that the primary key grows at its end like the real one.
		_, err := db.ExecContext(ctx, `
INSERT INTO audit_log (id, actor_id, action, target_id, outcome, ip, user_agent, metadata, created_at)
SELECT (lpad(to_hex(floor(extract(epoch FROM t.at) * 1000)::bigint), 12, '0') || substr(md5(i::text), 1, 20))::uuid,
	md5('u' || (i % ?))::uuid,
	(`+list+`)[1 + i % ?],
	md5('u' || ((i * 7) % ?))::uuid,
	CASE WHEN i % 10 = 3 THEN 'failure' WHEN i % 50 = 1 THEN 'denied' ELSE 'success' END,
	'10.' || (i % 250) || '.' || (i / 250 % 250) || '.' || (i / 62500 % 250),
	'Mozilla/5.0 (bench)',
	CASE WHEN i % 10 = 5 THEN '{"mfa":"required"}' END,
	t.at
FROM generate_series(?::bigint, ?::bigint) AS i,
	LATERAL (SELECT ?::timestamptz - make_interval(secs => (? - 1 - i) * ?) AS at) AS t`,
			Actors, len(actions), Actors, lo, hi, end.UTC(), n, step)
		if err != nil {
			return fmt.Errorf("auditgen: fill audit_log: %w", err)
		}
	}
	return nil
}

// Filters are the filters of GET /audit and /audit/user whose first page
// must come from an index, by name, for a log generated to end at now;
// actor and target name generated users.
func Filters(now time.Time, actor, target string) map[string]store.AuditFilter {
	return map[string]store.AuditFilter{
		"none":     {},
		"actor":    {ActorID: actor},
		"target":   {TargetID: target},
		"user":     {UserID: actor},
		"action":   {Action: "auth.register"},
		"outcome":  {Outcome: store.OutcomeDenied},
		"ip":       {IP: "10.7.3.0"},
		"window":   {From: now.Add(-48 * time.Hour), To: now.Add(-24 * time.Hour)},
		"combined": {Action: "auth.login", Outcome: store.OutcomeFailure, From: now.Add(-72 * time.Hour)},
	}
}
