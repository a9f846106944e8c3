package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

var start = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

// sink is an idempotent handler: it records each event once by ID, and
// counts every delivery, so tests tell "exactly once after dedup" from
// "at least once".
type sink struct {
	mu         sync.Mutex
	seen       map[string]bool
	order      []events.Event
	deliveries map[string]int
	// fail, when set, decides whether a delivery fails.
	fail func(e events.Event) error
	// active counts deliveries running at once per event.
	active map[string]int
	double bool
}

func newSink() *sink {
	return &sink{seen: map[string]bool{}, deliveries: map[string]int{}, active: map[string]int{}}
}

func (s *sink) HandleEvent(_ context.Context, e events.Event) error {
	s.mu.Lock()
	s.deliveries[e.ID]++
	if s.active[e.ID]++; s.active[e.ID] > 1 {
		s.double = true
	}
	fail := s.fail
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.active[e.ID]--; s.mu.Unlock() }()
	if fail != nil {
		if err := fail(e); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen[e.ID] {
		s.seen[e.ID] = true
		s.order = append(s.order, e)
	}
	return nil
}

func (s *sink) events() []events.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]events.Event(nil), s.order...)
}

// emit writes p about userID in one transaction, acted by actor.
func emit(t *testing.T, st store.Store, clock *testkit.Clock, userID string, p events.Payload) {
	t.Helper()
	ctx := store.NewContextWithActor(context.Background(), store.Actor{UserID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"})
	rec := events.NewRecorder(clock.Now)
	require.NoError(t, st.InTx(ctx, func(tx store.Repos) error { return rec.Emit(ctx, tx, userID, p) }))
}

func newDispatcher(t *testing.T, st store.Store, clock *testkit.Clock, h events.Handler, edit ...func(*events.DispatcherConfig)) *events.Dispatcher {
	t.Helper()
	cfg := events.DispatcherConfig{Store: st, Handlers: []events.Handler{h}, Now: clock.Now, MaxAttempts: 5,
		BaseDelay: time.Second, MaxDelay: time.Minute, Timeout: 5 * time.Second}
	for _, e := range edit {
		e(&cfg)
	}
	d, err := events.NewDispatcher(cfg)
	require.NoError(t, err)
	return d
}

func pending(t *testing.T, st *bunstore.Store) int {
	t.Helper()
	n, err := st.DB().NewSelect().TableExpr("outbox_events").Count(context.Background())
	require.NoError(t, err)
	return n
}

const (
	ada = "0190a1b2-0000-7000-8000-00000000000a"
	bob = "0190a1b2-0000-7000-8000-00000000000b"
)

func TestDispatcherDeliversTypedEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		clock := testkit.NewClock(start)
		s := newSink()
		emit(t, st, clock, ada, events.UserUpdated{Fields: []string{"bio", "firstName"}})
		emit(t, st, clock, ada, events.LoginSucceeded{SessionID: "s1"})
		n, err := newDispatcher(t, st, clock, s).Deliver(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		got := s.events()
		require.Len(t, got, 2)
		assert.Equal(t, store.EventUserUpdated, got[0].Name)
		assert.Equal(t, events.UserUpdated{Fields: []string{"bio", "firstName"}}, got[0].Payload)
		assert.Equal(t, ada, got[0].UserID)
		assert.Equal(t, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", got[0].ActorID, "the actor comes from the context")
		assert.Equal(t, start, got[0].OccurredAt)
		assert.Equal(t, 1, got[0].Attempt)
		assert.Equal(t, events.LoginSucceeded{SessionID: "s1"}, got[1].Payload)
		assert.Zero(t, pending(t, st), "delivered events are deleted")
	})
}

func TestDispatcherRetriesWithBackoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		clock := testkit.NewClock(start)
		s := newSink()
		failures := 3
		s.fail = func(events.Event) error {
			if failures > 0 {
				failures--
				return errors.New("host down")
			}
			return nil
		}
		d := newDispatcher(t, st, clock, s)
		emit(t, st, clock, ada, events.UserDeactivated{})
		for i := 0; i < 3; i++ {
			n, err := d.Deliver(t.Context())
			require.NoError(t, err)
			require.Zero(t, n, "attempt %d fails", i+1)
			assert.Zero(t, mustDeliver(t, d), "not due again before its backoff")
			// The i-th retry waits between half and all of 2^i seconds.
			clock.Advance(time.Duration(1<<i) * time.Second)
		}
		assert.Equal(t, 1, mustDeliver(t, d))
		require.Len(t, s.events(), 1)
		assert.Equal(t, 4, s.events()[0].Attempt)
		assert.Zero(t, pending(t, st))
	})
}

func mustDeliver(t *testing.T, d *events.Dispatcher) int {
	t.Helper()
	n, err := d.Deliver(t.Context())
	require.NoError(t, err)
	return n
}

func TestDispatcherDeadLetters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		clock := testkit.NewClock(start)
		s := newSink()
		s.fail = func(e events.Event) error {
			if e.Name == store.EventUserDeleted {
				return errors.New("refused")
			}
			return nil
		}
		d := newDispatcher(t, st, clock, s, func(c *events.DispatcherConfig) { c.MaxAttempts = 2 })
		emit(t, st, clock, ada, events.UserDeleted{})
		emit(t, st, clock, ada, events.UserActivated{Reason: "recover"})
		mustDeliver(t, d)
		assert.Empty(t, s.events(), "the later event waits behind the failing one")
		clock.Advance(time.Minute)
		mustDeliver(t, d)
		require.Len(t, s.events(), 1, "once the first is dead, the user's later events flow")
		assert.Equal(t, store.EventUserActivated, s.events()[0].Name)

		dead, err := d.DeadLetters(t.Context(), 10)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		assert.Equal(t, store.EventUserDeleted, dead[0].Name)
		assert.Equal(t, "refused", dead[0].LastError)
		assert.Equal(t, 2, dead[0].Attempts)

		s.fail = nil
		require.NoError(t, d.Requeue(t.Context(), dead[0].ID))
		assert.Equal(t, 1, mustDeliver(t, d))
		assert.Len(t, s.events(), 2)
		assert.ErrorIs(t, d.Requeue(t.Context(), dead[0].ID), store.ErrNotFound)
	})
}

func TestDispatcherOrderPerUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		clock := testkit.NewClock(start)
		s := newSink()
		adaFails := 2
		s.fail = func(e events.Event) error {
			if e.UserID == ada && adaFails > 0 {
				adaFails--
				return errors.New("busy")
			}
			return nil
		}
		d := newDispatcher(t, st, clock, s)
		for i := 0; i < 5; i++ {
			emit(t, st, clock, ada, events.UserUpdated{Fields: []string{fmt.Sprint("f", i)}})
			emit(t, st, clock, bob, events.UserUpdated{Fields: []string{fmt.Sprint("f", i)}})
		}
		mustDeliver(t, d)
		var bobs []string
		for _, e := range s.events() {
			assert.Equal(t, bob, e.UserID, "ada's events wait for her first")
			bobs = append(bobs, e.Payload.(events.UserUpdated).Fields[0])
		}
		assert.Equal(t, []string{"f0", "f1", "f2", "f3", "f4"}, bobs, "other users proceed, in their order")
		for pending(t, st) > 0 {
			clock.Advance(time.Minute)
			mustDeliver(t, d)
		}
		var adas []string
		for _, e := range s.events() {
			if e.UserID == ada {
				adas = append(adas, e.Payload.(events.UserUpdated).Fields[0])
			}
		}
		assert.Equal(t, []string{"f0", "f1", "f2", "f3", "f4"}, adas)
	})
}

// TestDispatcherSurvivesACrash: a dispatcher that claimed events and died
// before recording the outcome (a Manager closed mid-delivery, a killed
// process), and one whose handler succeeded but could not mark the event
// delivered: after the lease, the next Run delivers everything; the
// idempotent handler sees each event exactly once, the deliveries count
// at least one each.
func TestDispatcherSurvivesACrash(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		clock := testkit.NewClock(start)
		for i := 0; i < 6; i++ {
			emit(t, st, clock, []string{ada, bob}[i%2], events.UserUpdated{Fields: []string{fmt.Sprint("f", i)}})
		}
		// The dying dispatcher: claims a batch, delivers nothing.
		require.NoError(t, st.InTx(t.Context(), func(tx store.Repos) error {
			got, err := tx.Events().Claim(t.Context(), clock.Now(), clock.Now().Add(10*time.Second), 10)
			require.Len(t, got, 2)
			return err
		}))
		s := newSink()
		d := newDispatcher(t, st, clock, s)
		assert.Zero(t, mustDeliver(t, d), "leased by the dead dispatcher")
		clock.Advance(10 * time.Second)

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		require.True(t, testkit.Poll(5*time.Second, func() bool { return len(s.events()) == 6 }),
			"Run delivers what the dead dispatcher left: %d", len(s.events()))
		cancel()
		require.NoError(t, <-done)
		assert.Zero(t, pending(t, st))
		for id, n := range s.deliveries {
			assert.Equal(t, 1, n, "event %s", id)
		}
	})
}

// TestDispatcherWokenOnCommit: Run delivers right after a commit of this
// process, without waiting for its poll.
func TestDispatcherWokenOnCommit(t *testing.T) {
	st := dbtest.SQLite(t)
	clock := testkit.NewClock(start)
	s := newSink()
	d := newDispatcher(t, st, clock, s, func(c *events.DispatcherConfig) { c.Poll = time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = d.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // Run subscribed and idle
	emit(t, st, clock, ada, events.UserDeactivated{})
	assert.True(t, testkit.Poll(5*time.Second, func() bool { return len(s.events()) == 1 }))
}

// TestDispatchersOnOnePostgres: two instances (two connection pools) on
// one PostgreSQL schema deliver every event once, never one event twice
// at the same time, in order per user.
func TestDispatchersOnOnePostgres(t *testing.T) {
	st := dbtest.Postgres(t)
	var schema string
	require.NoError(t, st.DB().NewRaw("SELECT current_schema()").Scan(t.Context(), &schema))
	other, err := bunstore.Open(t.Context(), dbtest.WithSearchPath(dbtest.PostgresDSN(t), schema))
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })

	clock := testkit.NewClock(start)
	const users, per = 20, 10
	ids := make([]string, users)
	for u := range ids {
		ids[u] = fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", u)
		for i := 0; i < per; i++ {
			emit(t, st, clock, ids[u], events.UserUpdated{Fields: []string{fmt.Sprint(i)}})
		}
	}
	s := newSink()
	s.fail = func(events.Event) error { time.Sleep(time.Millisecond); return nil }
	small := func(c *events.DispatcherConfig) { c.Batch = 7 }
	d1 := newDispatcher(t, st, clock, s, small)
	d2 := newDispatcher(t, other, clock, s, small)
	var wg sync.WaitGroup
	for _, d := range []*events.Dispatcher{d1, d2} {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := d.Deliver(t.Context()); assert.NoError(t, err) }()
	}
	wg.Wait()
	mustDeliver(t, d1) // what d1 left while d2 still held a user's previous event

	assert.False(t, s.double, "one event delivered twice at once")
	for id, n := range s.deliveries {
		assert.Equal(t, 1, n, "event %s delivered %d times", id, n)
	}
	assert.Len(t, s.events(), users*per)
	next := map[string]int{}
	for _, e := range s.events() {
		assert.Equal(t, fmt.Sprint(next[e.UserID]), e.Payload.(events.UserUpdated).Fields[0], "order of %s", e.UserID)
		next[e.UserID]++
	}
}
