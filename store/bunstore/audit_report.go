package bunstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/usermgmt/usermgmt/store"
)

// onPostgres reports whether the store runs on PostgreSQL.
func (r repos) onPostgres() bool { return r.s.db.Dialect().Name() == dialect.PG }

// plainStats counts [from, to) from audit_log alone.
func (r auditLog) plainStats(ctx context.Context, from, to time.Time) ([]store.AuditCount, error) {
	var rows []struct {
		Action  string `bun:"action"`
		Outcome string `bun:"outcome"`
		N       int    `bun:"n"`
	}
	err := r.db.NewSelect().Model((*auditModel)(nil)).
		ColumnExpr("a.action, a.outcome, COUNT(*) AS n").
		Where("a.created_at >= ? AND a.created_at < ?", utc(from), utc(to)).
		GroupExpr("a.action, a.outcome").OrderExpr("a.action, a.outcome").Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, nil)
	}
	out := make([]store.AuditCount, len(rows))
	for i, row := range rows {
		out[i] = store.AuditCount{Action: row.Action, Outcome: store.Outcome(row.Outcome), Count: row.N}
	}
	return out, nil
}

// plainSeries groups the window's entries by bucket number, computed from
// the entry's time in seconds since the window's start: hours, days and
// weeks in UTC have a fixed width, so integer division is the bucket.
func (r auditLog) plainSeries(ctx context.Context, q store.AuditSeries) ([]store.AuditBucket, error) {
	width := int64(q.Bucket / time.Second)
	if width <= 0 || q.Bucket%time.Second != 0 {
		return nil, store.Validation(store.FieldError{Field: "interval", Message: "must be a whole number of seconds"})
	}
	start := utc(q.From).Unix()
	// date_part, not extract: extract returns numeric, several times
	// slower to compute on every row of the window.
	bucket := "CAST(floor((date_part('epoch', a.created_at) - ?) / ?) AS integer)"
	if !r.onPostgres() {
		bucket = "(CAST(strftime('%s', a.created_at) AS integer) - ?) / ?"
	}
	sel := r.db.NewSelect().Model((*auditModel)(nil)).ColumnExpr(bucket+" AS bucket", start, width)
	for i, c := range q.Counters {
		expr, args := r.counterExpr(c)
		sel = sel.ColumnExpr(fmt.Sprintf("%s AS c%d", expr, i), args...)
	}
	sel = sel.Where("a.created_at >= ? AND a.created_at < ?", utc(q.From), utc(q.To)).
		GroupExpr("bucket").OrderExpr("bucket")
	rows, err := sel.Rows(ctx)
	if err != nil {
		return nil, translate(err, nil)
	}
	defer rows.Close()
	var out []store.AuditBucket
	for rows.Next() {
		b := store.AuditBucket{Counts: make([]int, len(q.Counters))}
		dst := []any{&b.Index}
		for i := range b.Counts {
			dst = append(dst, &b.Counts[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, translate(err, nil)
		}
		out = append(out, b)
	}
	return out, translate(rows.Err(), nil)
}

// counterConds are the conditions on the action and outcome columns
// (named with prefix) that select c's entries, shared by the raw counters
// and the rollup ones.
func counterConds(prefix string, c store.AuditCounter) ([]string, []any) {
	var conds []string
	var args []any
	if len(c.Actions) > 0 {
		conds = append(conds, prefix+"action IN (?)")
		args = append(args, bun.In(c.Actions))
	}
	if len(c.Outcomes) > 0 {
		outs := make([]string, len(c.Outcomes))
		for i, o := range c.Outcomes {
			outs[i] = string(o)
		}
		conds = append(conds, prefix+"outcome IN (?)")
		args = append(args, bun.In(outs))
	}
	return conds, args
}

// counterExpr is the aggregate that counts c's entries.
func (r auditLog) counterExpr(c store.AuditCounter) (string, []any) {
	conds, args := counterConds("a.", c)
	if c.ExceptKey != "" {
		find, arg := r.metaHas(c.ExceptKey, c.ExceptValue)
		conds = append(conds, "(a.metadata IS NULL OR NOT "+find+")")
		args = append(args, arg)
	}
	cond := "TRUE"
	if len(conds) > 0 {
		cond = strings.Join(conds, " AND ")
	}
	if c.DistinctActors {
		return "COUNT(DISTINCT CASE WHEN " + cond + " THEN a.actor_id END)", args
	}
	return "COUNT(CASE WHEN " + cond + " THEN 1 END)", args
}

// metaHas is the condition that a non-null metadata holds key with value,
// and its argument. Metadata is a JSON object of strings written by
// encoding/json, so the pair appears exactly as Marshal spells it.
func (r repos) metaHas(key, value string) (string, any) {
	k, _ := json.Marshal(key)
	v, _ := json.Marshal(value)
	find := "strpos(a.metadata, ?) > 0"
	if !r.onPostgres() {
		find = "instr(a.metadata, ?) > 0"
	}
	return find, string(k) + ":" + string(v)
}
