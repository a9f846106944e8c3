package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// The rollups keep, per closed hour, the entries by action, outcome and
// whether their metadata holds rollupMarkKey with rollupMarkValue, and the
// distinct actors of successful entries per hour, UTC day and ISO week.
const (
	rollupMarkKey   = "mfa"
	rollupMarkValue = "required"
	hourSecs        = 3600
	daySecs         = 24 * hourSecs
	weekSecs        = 7 * daySecs
	// weekOrigin is the first Monday after the epoch (1970-01-05): ISO
	// weeks start at weekOrigin plus a multiple of weekSecs.
	weekOrigin = 4 * daySecs
	// dirtyBatch bounds how many changed hours one step rolls again.
	dirtyBatch = 168
)

// actorWidths are the bucket widths with distinct-actor rollups.
var actorWidths = []int64{hourSecs, daySecs, weekSecs}

// gridStart is the start of the width-w rollup bucket holding second s.
func gridStart(s, w int64) int64 {
	origin := int64(0)
	if w == weekSecs {
		origin = weekOrigin
	}
	return origin + floorDiv(s-origin, w)*w
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// atomic runs fn in the current transaction, or in a new one.
func (r repos) atomic(ctx context.Context, fn func(r repos) error) error {
	if r.inTx {
		return fn(r)
	}
	return r.write(func() error {
		return r.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return fn(repos{s: r.s, db: tx, inTx: true, pending: r.pending})
		})
	})
}

// epochExpr is col in whole seconds since the epoch.
func (r repos) epochExpr(col string) string {
	if r.onPostgres() {
		return "CAST(floor(date_part('epoch', " + col + ")) AS bigint)"
	}
	return "CAST(strftime('%s', " + col + ") AS integer)"
}

// markExpr is 1 for an entry whose metadata holds the rollup mark, else 0.
func (r repos) markExpr() (string, any) {
	find, arg := r.metaHas(rollupMarkKey, rollupMarkValue)
	return "CASE WHEN a.metadata IS NOT NULL AND " + find + " THEN 1 ELSE 0 END", arg
}

// markDirty records that the given hours changed, for those the rollups
// already reach. The marks count up so that a step rolling an hour again
// waits for a writer that marked it and has not committed.
func (r repos) markDirty(ctx context.Context, hours ...int64) error {
	for _, h := range hours {
		_, err := r.db.NewRaw(`INSERT INTO audit_rollup_dirty (hour, marks)
SELECT ?, 1 FROM audit_rollup_progress WHERE id = 1 AND until_hour > ?
ON CONFLICT (hour) DO UPDATE SET marks = audit_rollup_dirty.marks + 1`, h, h).Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

func (r auditLog) RollUp(ctx context.Context, until time.Time) (bool, error) {
	target := floorDiv(utc(until).Unix(), hourSecs)
	var more bool
	err := r.atomic(ctx, func(t repos) error {
		wm, ok, err := t.lockProgress(ctx)
		if err != nil || !ok {
			return err
		}
		if more, err = t.rollDirty(ctx, wm); err != nil || more {
			return err
		}
		if wm == 0 {
			if wm, err = t.firstHour(ctx, target); err != nil {
				return err
			}
		}
		hi := min(target, (gridStart(wm*hourSecs, weekSecs)+weekSecs)/hourSecs)
		if hi <= wm {
			return t.saveProgress(ctx, wm)
		}
		if err := t.roll(ctx, wm, hi, hi); err != nil {
			return err
		}
		more = hi < target
		return t.saveProgress(ctx, hi)
	})
	return more, translate(err, nil)
}

// lockProgress reads how far the rollups reach, locking the progress row;
// on PostgreSQL it reports false when another instance holds it.
func (r repos) lockProgress(ctx context.Context) (int64, bool, error) {
	q := r.db.NewSelect().Table("audit_rollup_progress").Column("until_hour").Where("id = 1")
	if r.onPostgres() {
		q = q.For("UPDATE SKIP LOCKED")
	}
	var wm int64
	err := q.Scan(ctx, &wm)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return wm, err == nil, err
}

func (r repos) saveProgress(ctx context.Context, wm int64) error {
	_, err := r.db.NewRaw("UPDATE audit_rollup_progress SET until_hour = ? WHERE id = 1", wm).Exec(ctx)
	return err
}

// firstHour is the hour of the oldest entry, or target when there is none.
func (r repos) firstHour(ctx context.Context, target int64) (int64, error) {
	var first []int64
	err := r.db.NewSelect().Model((*auditModel)(nil)).ColumnExpr(r.epochExpr("a.created_at")+" AS s").
		OrderExpr("a.created_at").Limit(1).Scan(ctx, &first)
	if err != nil || len(first) == 0 {
		return target, err
	}
	return min(floorDiv(first[0], hourSecs), target), nil
}

// rollDirty rolls again the oldest changed hours, in runs of consecutive
// hours, and reports whether it found any.
func (r repos) rollDirty(ctx context.Context, wm int64) (bool, error) {
	var hours []int64
	err := r.db.NewSelect().Table("audit_rollup_dirty").Column("hour").
		OrderExpr("hour").Limit(dirtyBatch).Scan(ctx, &hours)
	if err != nil || len(hours) == 0 {
		return false, err
	}
	// Deleting the marks first waits for any writer that marked one of
	// them and has not committed, so that its entry is read below.
	if _, err := r.db.NewRaw("DELETE FROM audit_rollup_dirty WHERE hour IN (?)", bun.In(hours)).Exec(ctx); err != nil {
		return false, err
	}
	for i := 0; i < len(hours); {
		j := i + 1
		for j < len(hours) && hours[j] == hours[j-1]+1 {
			j++
		}
		if err := r.roll(ctx, hours[i], hours[j-1]+1, wm); err != nil {
			return false, err
		}
		i = j
	}
	return true, nil
}

// roll recomputes the rollups of hours [lo, hi): their counts, and the
// distinct actors of every bucket overlapping them that ends by hour wm.
func (r repos) roll(ctx context.Context, lo, hi, wm int64) error {
	if _, err := r.db.NewRaw("DELETE FROM audit_rollup_counts WHERE hour >= ? AND hour < ?", lo, hi).Exec(ctx); err != nil {
		return err
	}
	mark, arg := r.markExpr()
	hour := "(" + r.epochExpr("a.created_at") + ") / 3600"
	if r.onPostgres() {
		hour = "CAST(floor(date_part('epoch', a.created_at) / 3600) AS bigint)"
	}
	counts := r.db.NewSelect().Model((*auditModel)(nil)).
		ColumnExpr(hour+" AS hour, a.action, a.outcome, "+mark+" AS mfa_required, COUNT(*) AS n", arg).
		Where("a.created_at >= ? AND a.created_at < ?", hourTime(lo), hourTime(hi)).
		GroupExpr("1, 2, 3, 4")
	if _, err := r.db.NewRaw("INSERT INTO audit_rollup_counts (hour, action, outcome, mfa_required, n) " + counts.String()).Exec(ctx); err != nil {
		return err
	}
	for _, w := range actorWidths {
		from := gridStart(lo*hourSecs, w)
		to := min(gridStart(hi*hourSecs+w-1, w), gridStart(wm*hourSecs, w))
		if from >= to {
			continue
		}
		if err := r.rollActors(ctx, w, from, to); err != nil {
			return err
		}
	}
	return nil
}

// rollActors recomputes the distinct actors of the width-w buckets in
// seconds [from, to).
func (r repos) rollActors(ctx context.Context, w, from, to int64) error {
	if _, err := r.db.NewRaw("DELETE FROM audit_rollup_actors WHERE width = ? AND start_at >= ? AND start_at < ?", w, from, to).Exec(ctx); err != nil {
		return err
	}
	start := "? + ((" + r.epochExpr("a.created_at") + " - ?) / ?) * ?"
	sel := r.db.NewSelect().Model((*auditModel)(nil)).
		ColumnExpr("? AS width, "+start+" AS start_at, COUNT(DISTINCT a.actor_id) AS n", w, from, from, w, w).
		Where("a.outcome = 'success' AND a.created_at >= ? AND a.created_at < ?", secTime(from), secTime(to)).
		GroupExpr("2")
	_, err := r.db.NewRaw("INSERT INTO audit_rollup_actors (width, start_at, n) " + sel.String()).Exec(ctx)
	return err
}

// hourTime is the start of hour h since the epoch.
func hourTime(h int64) time.Time { return secTime(h * hourSecs) }

// secTime is second s since the epoch, in UTC.
func secTime(s int64) time.Time { return time.Unix(s, 0).UTC() }
