// Package ratelimit decides whether a request may proceed under a limit of
// so many requests per window for a key (a client IP, an email address).
//
// Memory keeps its state in the process: fast, and right for the API-wide
// per-client limit, but each instance counts on its own. Store keeps fixed
// windows in the usermgmt store, so every instance shares them; it costs a
// write per call and suits the tight limits on sign-in and mail routes. A
// host can plug anything else (Redis, a gateway) behind Limiter.
//
//	l := ratelimit.NewMemory(time.Now)
//	d, _ := l.Allow(ctx, "ip:203.0.113.7", ratelimit.Limit{Requests: 100, Window: time.Minute})
//	if !d.Allowed { /* 429, Retry-After: d.RetryAfter */ }
package ratelimit

import (
	"context"
	"time"
)

// Limit is a number of requests per window.
type Limit struct {
	Requests int
	Window   time.Duration
}

// Off reports whether the limit lets everything through.
func (l Limit) Off() bool { return l.Requests <= 0 || l.Window <= 0 }

// Decision is a limiter's answer, with what the RateLimit-* headers say.
type Decision struct {
	Allowed bool
	// Limit is the limit's request count.
	Limit int
	// Remaining is how many more requests the window allows now.
	Remaining int
	// Reset is how long until the window is full again.
	Reset time.Duration
	// RetryAfter is how long to wait when not allowed.
	RetryAfter time.Duration
}

// Limiter decides requests. Implementations must be safe for concurrent use
// and count every call, allowed or not, against the key.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (Decision, error)
}

// LimiterFunc adapts a function to Limiter.
type LimiterFunc func(ctx context.Context, key string, limit Limit) (Decision, error)

// Allow calls f.
func (f LimiterFunc) Allow(ctx context.Context, key string, limit Limit) (Decision, error) {
	return f(ctx, key, limit)
}
