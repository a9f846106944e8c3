package ratelimit

import (
	"context"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Store is a limiter whose fixed windows live in the usermgmt store, so
// that every instance sharing the database shares the count. Windows are
// aligned to the clock, so a client can spend up to twice the limit across
// a window boundary; that is the price of one write per request.
type Store struct {
	st  store.Store
	now func() time.Time
}

// NewStore returns a Store limiter on st using the clock now (time.Now when
// nil).
func NewStore(st store.Store, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{st: st, now: now}
}

// Allow implements Limiter.
func (s *Store) Allow(ctx context.Context, key string, l Limit) (Decision, error) {
	if l.Off() {
		return Decision{Allowed: true, Limit: l.Requests, Remaining: l.Requests}, nil
	}
	now := s.now().UTC()
	start := now.Truncate(l.Window)
	end := start.Add(l.Window)
	n, err := s.st.RateLimits().Hit(ctx, key, start, end)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Allowed: n <= l.Requests, Limit: l.Requests, Remaining: max(0, l.Requests-n), Reset: end.Sub(now)}
	if !d.Allowed {
		d.RetryAfter = d.Reset
	}
	return d, nil
}
