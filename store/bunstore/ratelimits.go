package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

type rateLimitModel struct {
	bun.BaseModel `bun:"table:rate_limits,alias:rl"`

	Key         string    `bun:"key,pk"`
	WindowStart time.Time `bun:"window_start,pk"`
	WindowEnd   time.Time `bun:"window_end"`
	Count       int       `bun:"count"`
}

type rateLimits struct{ repos }

func (r rateLimits) Hit(ctx context.Context, key string, start, end time.Time) (int, error) {
	m := &rateLimitModel{Key: key, WindowStart: utc(start), WindowEnd: utc(end), Count: 1}
	err := r.write(func() error {
		return r.db.NewInsert().Model(m).
			On("CONFLICT (key, window_start) DO UPDATE").
			Set("count = rl.count + 1").
			Returning("count").Scan(ctx, &m.Count)
	})
	if err != nil {
		return 0, translate(err, nil)
	}
	return m.Count, nil
}

func (r rateLimits) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int
	err := r.write(func() error {
		keys := r.db.NewSelect().Model((*rateLimitModel)(nil)).Column("key", "window_start").
			Where("window_end < ?", utc(cutoff)).OrderExpr("window_end").Limit(limit)
		res, err := r.db.NewDelete().Model((*rateLimitModel)(nil)).
			Where("(key, window_start) IN (?)", keys).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, translate(err, nil)
}
