package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/usermgmt/usermgmt/store"
)

type userStats struct{ repos }

func (r userStats) Counts(ctx context.Context) (store.UserCounts, error) {
	var rows []struct {
		Status    string `bun:"status"`
		N         int    `bun:"n"`
		Verified  int    `bun:"verified"`
		TwoFactor int    `bun:"two_factor"`
	}
	// One pass over users_stats_idx (migration 0011), an index-only scan
	// on PostgreSQL.
	err := r.db.NewSelect().Model((*userModel)(nil)).Column("u.status").ColumnExpr("count(*) AS n").
		ColumnExpr("sum(CASE WHEN u.email_verified THEN 1 ELSE 0 END) AS verified").
		ColumnExpr("sum(CASE WHEN u.two_factor_enabled THEN 1 ELSE 0 END) AS two_factor").
		Group("u.status").Scan(ctx, &rows)
	if err != nil {
		return store.UserCounts{}, translate(err, nil)
	}
	out := store.UserCounts{ByStatus: map[store.Status]int{}}
	for _, row := range rows {
		out.ByStatus[store.Status(row.Status)] = row.N
		out.Verified += row.Verified
		out.TwoFactor += row.TwoFactor
	}
	return out, nil
}

func (r userStats) CreatedSince(ctx context.Context, since ...time.Time) ([]int, error) {
	out := make([]int, len(since))
	for i, t := range since {
		n, err := r.db.NewSelect().Model((*userModel)(nil)).Where("u.created_at >= ?", t.UTC()).Count(ctx)
		if err != nil {
			return nil, translate(err, nil)
		}
		out[i] = n
	}
	return out, nil
}

func (r userStats) LiveSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := r.db.NewSelect().Model((*sessionModel)(nil)).
		Where("s.revoked_at IS NULL AND s.expires_at > ?", now.UTC()).Count(ctx)
	return n, translate(err, nil)
}

// dayExpr is the UTC day of a user's creation as YYYY-MM-DD text. SQLite
// keeps times as UTC text that begins with it.
func dayExpr(d dialect.Name) string {
	if d == dialect.SQLite {
		return "substr(u.created_at, 1, 10)"
	}
	return "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
}

func (r userStats) SignupsPerDay(ctx context.Context, from, to time.Time) ([]store.DayCount, error) {
	var rows []struct {
		Day string `bun:"day"`
		N   int    `bun:"n"`
	}
	day := dayExpr(r.db.Dialect().Name())
	err := r.db.NewSelect().Model((*userModel)(nil)).ColumnExpr(day+" AS day").ColumnExpr("count(*) AS n").
		Where("u.created_at >= ? AND u.created_at < ?", from.UTC(), to.UTC()).
		GroupExpr(day).OrderExpr(day).Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, nil)
	}
	out := make([]store.DayCount, 0, len(rows))
	for _, row := range rows {
		d, err := time.Parse(time.DateOnly, row.Day)
		if err != nil {
			return nil, store.ErrInternal.Wrap(err)
		}
		out = append(out, store.DayCount{Day: d, Count: row.N})
	}
	return out, nil
}
