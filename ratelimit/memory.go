package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

const shards = 64

// Memory is an in-process limiter using the generic cell rate algorithm:
// one timestamp per key, smooth refill, bursts up to the limit. Idle keys
// are forgotten, so memory stays proportional to active clients.
type Memory struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shards]memoryShard
}

type memoryShard struct {
	mu    sync.Mutex
	tat   map[string]time.Time // theoretical arrival time per key
	sweep time.Time
}

// NewMemory returns a Memory limiter on the clock now (time.Now when nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].tat = make(map[string]time.Time)
	}
	return m
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, l Limit) (Decision, error) {
	if l.Off() {
		return Decision{Allowed: true, Limit: l.Requests, Remaining: l.Requests}, nil
	}
	now := m.now()
	interval := l.Window / time.Duration(l.Requests)
	sh := &m.shards[maphash.String(m.seed, key)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.maybeSweep(now, l.Window)
	tat := sh.tat[key]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(interval)
	if next.Sub(now) > l.Window {
		return Decision{
			Limit: l.Requests, Reset: tat.Sub(now),
			RetryAfter: next.Sub(now) - l.Window,
		}, nil
	}
	sh.tat[key] = next
	return Decision{
		Allowed: true, Limit: l.Requests,
		Remaining: int((l.Window - next.Sub(now)) / interval),
		Reset:     next.Sub(now),
	}, nil
}

// maybeSweep drops keys whose window has fully refilled, at most once per
// window per shard.
func (s *memoryShard) maybeSweep(now time.Time, window time.Duration) {
	if now.Sub(s.sweep) < window {
		return
	}
	s.sweep = now
	for k, t := range s.tat {
		if t.Before(now) {
			delete(s.tat, k)
		}
	}
}
