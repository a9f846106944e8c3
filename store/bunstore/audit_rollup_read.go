package bunstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

// rollupSpan is the hours [lo, hi) of a window that rollups answer, but
// for the dirty ones, which audit_log answers.
type rollupSpan struct {
	lo, hi int64
	dirty  []int64
}

// snapshot runs fn on one snapshot of the database on PostgreSQL, so that
// rollups, progress and audit_log are read at one instant while the job
// works.
func (r repos) snapshot(ctx context.Context, fn func(r repos) error) error {
	if r.inTx || !r.onPostgres() {
		return fn(r)
	}
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	return r.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		return fn(repos{s: r.s, db: tx, inTx: true})
	})
}

// span is the part of hours [lo, hi) that the rollups reach.
func (r repos) span(ctx context.Context, lo, hi int64) (rollupSpan, error) {
	var until int64
	err := r.db.NewSelect().Table("audit_rollup_progress").Column("until_hour").Where("id = 1").Scan(ctx, &until)
	if err != nil {
		return rollupSpan{}, err
	}
	sp := rollupSpan{lo: lo, hi: min(hi, until)}
	if sp.lo >= sp.hi {
		return sp, nil
	}
	err = r.db.NewSelect().Table("audit_rollup_dirty").Column("hour").
		Where("hour >= ? AND hour < ?", sp.lo, sp.hi).OrderExpr("hour").Scan(ctx, &sp.dirty)
	return sp, err
}

// Stats reads the rolled-up hours of [from, to) from the rollups and the
// rest (the partial hours at both ends, hours not rolled up yet or changed
// since) from audit_log.
func (r auditLog) Stats(ctx context.Context, from, to time.Time) ([]store.AuditCount, error) {
	from, to = utc(from), utc(to)
	lo := floorDiv(from.Unix(), hourSecs)
	if hourTime(lo).Before(from) {
		lo++
	}
	var out []store.AuditCount
	err := r.snapshot(ctx, func(t repos) error {
		sp, err := t.span(ctx, lo, floorDiv(to.Unix(), hourSecs))
		if err != nil {
			return err
		}
		a := auditLog{t}
		if sp.lo >= sp.hi {
			out, err = a.plainStats(ctx, from, to)
			return err
		}
		sum := map[store.AuditCount]int{}
		if err := a.rolledStats(ctx, sp, sum); err != nil {
			return err
		}
		raw := [][2]time.Time{{from, hourTime(sp.lo)}, {hourTime(sp.hi), to}}
		for _, h := range sp.dirty {
			raw = append(raw, [2]time.Time{hourTime(h), hourTime(h + 1)})
		}
		for _, w := range raw {
			if !w[0].Before(w[1]) {
				continue
			}
			counts, err := a.plainStats(ctx, w[0], w[1])
			if err != nil {
				return err
			}
			for _, c := range counts {
				sum[store.AuditCount{Action: c.Action, Outcome: c.Outcome}] += c.Count
			}
		}
		out = sortedCounts(sum)
		return nil
	})
	return out, translate(err, nil)
}

// rolledStats adds the rollups of the span's clean hours to sum.
func (r auditLog) rolledStats(ctx context.Context, sp rollupSpan, sum map[store.AuditCount]int) error {
	var rows []struct {
		Action  string `bun:"action"`
		Outcome string `bun:"outcome"`
		N       int    `bun:"n"`
	}
	q := r.db.NewSelect().Table("audit_rollup_counts").ColumnExpr("action, outcome, SUM(n) AS n").
		Where("hour >= ? AND hour < ?", sp.lo, sp.hi).GroupExpr("action, outcome")
	if len(sp.dirty) > 0 {
		q = q.Where("hour NOT IN (?)", bun.In(sp.dirty))
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return err
	}
	for _, row := range rows {
		sum[store.AuditCount{Action: row.Action, Outcome: store.Outcome(row.Outcome)}] += row.N
	}
	return nil
}

// sortedCounts lists sum by action, then outcome.
func sortedCounts(sum map[store.AuditCount]int) []store.AuditCount {
	out := make([]store.AuditCount, 0, len(sum))
	for k, n := range sum {
		if n > 0 {
			out = append(out, store.AuditCount{Action: k.Action, Outcome: k.Outcome, Count: n})
		}
	}
	slices.SortFunc(out, func(x, y store.AuditCount) int {
		if c := strings.Compare(x.Action, y.Action); c != 0 {
			return c
		}
		return strings.Compare(string(x.Outcome), string(y.Outcome))
	})
	return out
}

// Series reads the buckets that the rollups cover whole (and that hold no
// changed hour) from the rollups, and the others from audit_log. A series
// the rollups cannot answer (another width or grid, another metadata
// exception, distinct actors of other entries) reads audit_log alone.
func (r auditLog) Series(ctx context.Context, q store.AuditSeries) ([]store.AuditBucket, error) {
	if !rollupAnswers(q) {
		return r.plainSeries(ctx, q)
	}
	q.From, q.To = utc(q.From), utc(q.To)
	w := int64(q.Bucket / time.Second)
	start := q.From.Unix()
	n := int64((q.To.Sub(q.From) + q.Bucket - 1) / q.Bucket)
	var out []store.AuditBucket
	err := r.snapshot(ctx, func(t repos) error {
		sp, err := t.span(ctx, start/hourSecs, floorDiv(q.To.Unix(), hourSecs))
		if err != nil {
			return err
		}
		a := auditLog{t}
		closed := a.closedBuckets(sp, start, w, n)
		rolled, err := a.rolledSeries(ctx, q, closed)
		if err != nil {
			return err
		}
		out, err = a.openSeries(ctx, q, closed, rolled)
		return err
	})
	return out, translate(err, nil)
}

// rollupAnswers reports whether the rollups hold what q counts.
func rollupAnswers(q store.AuditSeries) bool {
	w := int64(q.Bucket / time.Second)
	if !slices.Contains(actorWidths, w) || q.Bucket%time.Second != 0 || q.From.Nanosecond() != 0 ||
		gridStart(q.From.Unix(), w) != q.From.Unix() || !q.From.Before(q.To) {
		return false
	}
	for _, c := range q.Counters {
		if c.ExceptKey != "" && (c.ExceptKey != rollupMarkKey || c.ExceptValue != rollupMarkValue) {
			return false
		}
		if c.DistinctActors && (len(c.Actions) > 0 || c.ExceptKey != "" ||
			!slices.Equal(c.Outcomes, []store.Outcome{store.OutcomeSuccess})) {
			return false
		}
	}
	return true
}

// closedBuckets marks the buckets of the series (start, width w, n of
// them) that lie whole inside the span and hold none of its dirty hours.
func (r auditLog) closedBuckets(sp rollupSpan, start, w, n int64) []bool {
	closed := make([]bool, n)
	for i := range closed {
		s := start + int64(i)*w
		closed[i] = s >= sp.lo*hourSecs && s+w <= sp.hi*hourSecs
	}
	for _, h := range sp.dirty {
		if i := (h*hourSecs - start) / w; i >= 0 && i < n {
			closed[i] = false
		}
	}
	return closed
}

// rolledSeries reads the closed buckets' counts from the rollups, by
// index.
func (r auditLog) rolledSeries(ctx context.Context, q store.AuditSeries, closed []bool) (map[int64][]int, error) {
	first := slices.Index(closed, true)
	if first < 0 {
		return nil, nil
	}
	end := len(closed)
	for !closed[end-1] {
		end--
	}
	w := int64(q.Bucket / time.Second)
	start := q.From.Unix()
	lo, hi := start+int64(first)*w, start+int64(end)*w
	out := map[int64][]int{}
	counts := r.db.NewSelect().Table("audit_rollup_counts").ColumnExpr("(hour * 3600 - ?) / ? AS bucket", start, w).
		Where("hour >= ? AND hour < ?", lo/hourSecs, hi/hourSecs).GroupExpr("bucket")
	for i, c := range q.Counters {
		if !c.DistinctActors {
			expr, args := rollupCounterExpr(c)
			counts = counts.ColumnExpr(fmt.Sprintf("SUM(CASE WHEN %s THEN n ELSE 0 END) AS c%d", expr, i), args...)
		}
	}
	err := scanBuckets(ctx, counts, func(idx int64, vals []int) {
		b := make([]int, len(q.Counters))
		for i, j := 0, 0; i < len(b); i++ {
			if !q.Counters[i].DistinctActors {
				b[i], j = vals[j], j+1
			}
		}
		out[idx] = b
	})
	if err != nil {
		return nil, err
	}
	actors := r.db.NewSelect().Table("audit_rollup_actors").ColumnExpr("(start_at - ?) / ? AS bucket, n", start, w).
		Where("width = ? AND start_at >= ? AND start_at < ?", w, lo, hi)
	err = scanBuckets(ctx, actors, func(idx int64, vals []int) {
		if out[idx] == nil {
			out[idx] = make([]int, len(q.Counters))
		}
		for i, c := range q.Counters {
			if c.DistinctActors {
				out[idx][i] = vals[0]
			}
		}
	})
	return out, err
}

// rollupCounterExpr is the condition on audit_rollup_counts for c's
// entries.
func rollupCounterExpr(c store.AuditCounter) (string, []any) {
	conds, args := counterConds("", c)
	conds = append([]string{"TRUE"}, conds...)
	if c.ExceptKey != "" {
		conds = append(conds, "mfa_required = 0")
	}
	return strings.Join(conds, " AND "), args
}

// scanBuckets runs q, whose first column is a bucket index and the others
// counts, and hands each row to fn.
func scanBuckets(ctx context.Context, q *bun.SelectQuery, fn func(idx int64, vals []int)) error {
	rows, err := q.Rows(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		var idx int64
		vals := make([]int, len(cols)-1)
		dst := []any{&idx}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		fn(idx, vals)
	}
	return rows.Err()
}

// openSeries reads each run of buckets that are not closed from
// audit_log, and merges them with the rolled ones in index order, leaving
// out rolled buckets that count nothing.
func (r auditLog) openSeries(ctx context.Context, q store.AuditSeries, closed []bool, rolled map[int64][]int) ([]store.AuditBucket, error) {
	var out []store.AuditBucket
	w := q.Bucket
	for i := 0; i < len(closed); {
		if closed[i] {
			if b := rolled[int64(i)]; slices.ContainsFunc(b, func(n int) bool { return n != 0 }) {
				out = append(out, store.AuditBucket{Index: i, Counts: b})
			}
			i++
			continue
		}
		j := i + 1
		for j < len(closed) && !closed[j] {
			j++
		}
		run := q
		run.From = q.From.Add(time.Duration(i) * w)
		if end := q.From.Add(time.Duration(j) * w); end.Before(q.To) {
			run.To = end
		}
		bs, err := r.plainSeries(ctx, run)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			b.Index += i
			out = append(out, b)
		}
		i = j
	}
	return out, nil
}
