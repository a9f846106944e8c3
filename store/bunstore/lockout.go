package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type loginFailuresModel struct {
	bun.BaseModel `bun:"table:login_failures,alias:lf"`

	Identifier  string     `bun:"identifier,pk"`
	Count       int        `bun:"count"`
	WindowStart time.Time  `bun:"window_start"`
	LockedUntil *time.Time `bun:"locked_until"`
	Locks       int        `bun:"locks"`
	UpdatedAt   time.Time  `bun:"updated_at"`
}

func (m *loginFailuresModel) record() store.LoginFailures {
	return store.LoginFailures{
		Identifier: m.Identifier, Count: m.Count, WindowStart: m.WindowStart,
		LockedUntil: m.LockedUntil, Locks: m.Locks, UpdatedAt: m.UpdatedAt,
	}
}

// lockMemory is how long a quiet identifier keeps its lock count, which
// makes repeated locks grow.
const lockMemory = 24 * time.Hour

type lockout struct{ repos }

func (r lockout) Failures(ctx context.Context, identifier string) (store.LoginFailures, error) {
	m := new(loginFailuresModel)
	err := r.db.NewSelect().Model(m).Where("identifier = ?", identifier).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return store.LoginFailures{Identifier: identifier}, nil
	}
	if err != nil {
		return store.LoginFailures{}, translate(err, nil)
	}
	return m.record(), nil
}

// RecordFailure counts with one upsert, so concurrent failures each count,
// then sets the lock with a guarded update that only one caller wins.
func (r lockout) RecordFailure(ctx context.Context, identifier string, at time.Time, p store.LockoutPolicy) (store.LoginFailures, error) {
	at = utc(at)
	m := &loginFailuresModel{Identifier: identifier, Count: 1, WindowStart: at, UpdatedAt: at}
	// A new window starts when the old one has passed or a lock has ended.
	fresh := "lf.window_start <= ? OR (lf.locked_until IS NOT NULL AND lf.locked_until <= ?)"
	err := r.write(func() error {
		err := r.db.NewInsert().Model(m).
			On("CONFLICT (identifier) DO UPDATE").
			Set("count = CASE WHEN "+fresh+" THEN 1 ELSE lf.count + 1 END", at.Add(-p.Window), at).
			Set("window_start = CASE WHEN "+fresh+" THEN EXCLUDED.window_start ELSE lf.window_start END", at.Add(-p.Window), at).
			Set("locked_until = CASE WHEN lf.locked_until IS NOT NULL AND lf.locked_until <= ? THEN NULL ELSE lf.locked_until END", at).
			Set("locks = CASE WHEN lf.updated_at <= ? THEN 0 ELSE lf.locks END", at.Add(-lockMemory)).
			Set("updated_at = EXCLUDED.updated_at").
			Returning("*").Scan(ctx, m)
		if err != nil || m.Count < p.Threshold || m.LockedUntil != nil {
			return err
		}
		until := at.Add(lockDuration(p, m.Locks))
		res, err := r.db.NewUpdate().Model((*loginFailuresModel)(nil)).
			Set("locked_until = ?", until).Set("locks = locks + 1").
			Where("identifier = ? AND locked_until IS NULL", identifier).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			m.LockedUntil, m.Locks = &until, m.Locks+1
		}
		return nil
	})
	if err != nil {
		return store.LoginFailures{}, translate(err, nil)
	}
	if m.LockedUntil == nil && m.Count >= p.Threshold {
		// A concurrent caller set the lock: report it.
		return r.Failures(ctx, identifier)
	}
	return m.record(), nil
}

// lockDuration doubles the lock for every earlier lock, up to MaxLock.
func lockDuration(p store.LockoutPolicy, earlier int) time.Duration {
	d := p.LockFor
	for i := 0; i < earlier && (p.MaxLock == 0 || d < p.MaxLock); i++ {
		d *= 2
	}
	if p.MaxLock > 0 && d > p.MaxLock {
		d = p.MaxLock
	}
	return d
}

func (r lockout) Reset(ctx context.Context, identifier string) error {
	err := r.write(func() error {
		_, err := r.db.NewDelete().Model((*loginFailuresModel)(nil)).Where("identifier = ?", identifier).Exec(ctx)
		return err
	})
	return translate(err, nil)
}
