package bunstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// auditGenActors is how many distinct users the generated log names.
const auditGenActors = 50_000

// auditGenActions are the generated entries' actions, logins the most
// common as in a real log.
var auditGenActions = []string{"auth.login", "auth.login", "auth.login", "auth.refresh", "auth.refresh",
	"auth.login_2fa", "auth.register", "user.update", "auth.logout", "session.revoke", "2fa.enable", "role.assign"}

// genActor is the id of generated user i (0 <= i < auditGenActors), the
// same in every generated row and in the queries.
func genActor(i int) string {
	return fmt.Sprintf("SELECT md5('u' || %d)::uuid", i)
}

// fillAudit appends n entries to audit_log in one INSERT ... SELECT per
// million rows (PostgreSQL only), spread evenly over the span ending at
// end, newest last, then ANALYZEs the table. Row i is by user i mod
// auditGenActors, about user (i*7) mod auditGenActors, from IP
// 10.x.y.z where x.y.z is i mod 250^3 in base 250; one in ten fails, one
// in fifty is denied, one in ten logins only asks for a second factor.
func fillAudit(tb testing.TB, db *bun.DB, n int, span time.Duration, end time.Time) {
	tb.Helper()
	ctx := context.Background()
	actions := "ARRAY["
	for i, a := range auditGenActions {
		if i > 0 {
			actions += ","
		}
		actions += "'" + a + "'"
	}
	actions += "]"
	step := span.Seconds() / float64(n)
	const chunk = 1_000_000
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n) - 1
		_, err := db.ExecContext(ctx, `
INSERT INTO audit_log (id, actor_id, action, target_id, outcome, ip, user_agent, metadata, created_at)
SELECT gen_random_uuid(),
	md5('u' || (i % ?))::uuid,
	(`+actions+`)[1 + i % ?],
	md5('u' || ((i * 7) % ?))::uuid,
	CASE WHEN i % 10 = 3 THEN 'failure' WHEN i % 50 = 1 THEN 'denied' ELSE 'success' END,
	'10.' || (i % 250) || '.' || (i / 250 % 250) || '.' || (i / 62500 % 250),
	'Mozilla/5.0 (bench)',
	CASE WHEN i % 10 = 5 THEN '{"mfa":"required"}' END,
	?::timestamptz - make_interval(secs => (? - 1 - i) * ?)
FROM generate_series(?::bigint, ?::bigint) AS i`,
			auditGenActors, len(auditGenActions), auditGenActors, end.UTC(), n, step, lo, hi)
		if err != nil {
			tb.Fatalf("fill audit_log: %v", err)
		}
	}
	if _, err := db.ExecContext(ctx, "ANALYZE audit_log"); err != nil {
		tb.Fatalf("analyze audit_log: %v", err)
	}
}
