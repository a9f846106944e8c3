package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func eventCases() []testCase {
	return []testCase{
		{"AppendClaimDeliver", testEventsAppendClaimDeliver},
		{"OrderPerUser", testEventsOrderPerUser},
		{"LeaseAndRetry", testEventsLeaseAndRetry},
		{"BuryAndRequeue", testEventsBuryAndRequeue},
		{"ConcurrentClaims", testEventsConcurrentClaims},
		{"Erasure", testEventsErasure},
		{"AnnouncedAfterCommit", testEventsAnnounced},
	}
}

// appendEvent writes an event about userID named name.
func appendEvent(t *testing.T, st store.Repos, name store.EventName, userID string) *store.Event {
	t.Helper()
	e := &store.Event{Name: name, UserID: userID, Payload: map[string]any{"fields": []any{"bio"}}, OccurredAt: base}
	require.NoError(t, st.Events().Append(ctx(t), e))
	require.NotEmpty(t, e.ID)
	return e
}

// claim claims in a transaction, as a dispatcher does.
func claim(t *testing.T, st store.Store, now time.Time, limit int) []store.OutboxEntry {
	t.Helper()
	var got []store.OutboxEntry
	require.NoError(t, st.InTx(ctx(t), func(tx store.Repos) error {
		var err error
		got, err = tx.Events().Claim(ctx(t), now, now.Add(time.Minute), limit)
		return err
	}))
	return got
}

func ids(es []store.OutboxEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func testEventsAppendClaimDeliver(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	e := appendEvent(t, st, store.EventUserUpdated, u.ID)
	got := claim(t, st, base, 10)
	require.Len(t, got, 1)
	assert.Equal(t, e.ID, got[0].ID)
	assert.Equal(t, store.EventUserUpdated, got[0].Name)
	assert.Equal(t, u.ID, got[0].UserID)
	assert.Equal(t, []any{"bio"}, got[0].Payload["fields"])
	assert.Equal(t, base, got[0].OccurredAt)
	assert.Equal(t, 1, got[0].Attempts)
	assert.Empty(t, claim(t, st, base, 10), "a leased event is not claimed again")
	require.NoError(t, st.Events().Delivered(ctx(t), e.ID))
	assert.ErrorIs(t, st.Events().Delivered(ctx(t), e.ID), store.ErrNotFound)
	assert.ErrorIs(t, st.Events().Delivered(ctx(t), badID), store.ErrNotFound)
	assert.Empty(t, claim(t, st, base.Add(time.Hour), 10), "a delivered event is gone")
}

func testEventsOrderPerUser(t *testing.T, st store.Store) {
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	a1 := appendEvent(t, st, store.EventUserCreated, ada.ID)
	a2 := appendEvent(t, st, store.EventUserUpdated, ada.ID)
	b1 := appendEvent(t, st, store.EventUserCreated, bob.ID)
	n1 := appendEvent(t, st, store.EventUserBulkAction, "")
	n2 := appendEvent(t, st, store.EventUserBulkAction, "")

	assert.Equal(t, []string{a1.ID, b1.ID, n1.ID, n2.ID}, ids(claim(t, st, base, 10)),
		"one event per user at a time; events without a user are not ordered")
	require.NoError(t, st.Events().Retry(ctx(t), a1.ID, base.Add(time.Second), "boom"))
	got := claim(t, st, base.Add(2*time.Second), 10)
	assert.Equal(t, []string{a1.ID}, ids(got), "a retried event still holds back its user's later ones")
	assert.Equal(t, 2, got[0].Attempts)
	assert.Equal(t, "boom", got[0].LastError)
	require.NoError(t, st.Events().Delivered(ctx(t), a1.ID))
	assert.Equal(t, []string{a2.ID}, ids(claim(t, st, base.Add(2*time.Second), 10)))
}

func testEventsLeaseAndRetry(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	e := appendEvent(t, st, store.EventUserUpdated, u.ID)
	require.Len(t, claim(t, st, base, 10), 1)
	assert.Empty(t, claim(t, st, base.Add(59*time.Second), 10), "leased")
	got := claim(t, st, base.Add(time.Minute), 10)
	require.Len(t, got, 1, "a lease that ran out (the claimer died) makes the event due again")
	assert.Equal(t, 2, got[0].Attempts)
	require.NoError(t, st.Events().Retry(ctx(t), e.ID, base.Add(time.Hour), strings.Repeat("é", 3000)))
	assert.Empty(t, claim(t, st, base.Add(59*time.Minute), 10))
	got = claim(t, st, base.Add(time.Hour), 10)
	require.Len(t, got, 1)
	assert.Len(t, got[0].LastError, 1000, "the error is clipped")
	assert.ErrorIs(t, st.Events().Retry(ctx(t), missingID, base, "x"), store.ErrNotFound)
}

func testEventsBuryAndRequeue(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	e1 := appendEvent(t, st, store.EventUserUpdated, u.ID)
	e2 := appendEvent(t, st, store.EventUserUpdated, u.ID)
	require.Len(t, claim(t, st, base, 10), 1)
	require.NoError(t, st.Events().Bury(ctx(t), e1.ID, base, "gave up"))
	assert.ErrorIs(t, st.Events().Bury(ctx(t), e1.ID, base, "again"), store.ErrNotFound)
	assert.Equal(t, []string{e2.ID}, ids(claim(t, st, base, 10)), "a dead event holds nothing back")
	dead, err := st.Events().Dead(ctx(t), 10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, e1.ID, dead[0].ID)
	assert.Equal(t, "gave up", dead[0].LastError)
	require.NotNil(t, dead[0].DeadAt)
	assert.Equal(t, base, *dead[0].DeadAt)

	require.NoError(t, st.Events().Requeue(ctx(t), e1.ID, base))
	assert.ErrorIs(t, st.Events().Requeue(ctx(t), e1.ID, base), store.ErrNotFound, "no longer dead")
	got := claim(t, st, base, 10)
	require.Len(t, got, 1)
	assert.Equal(t, e1.ID, got[0].ID)
	assert.Equal(t, 1, got[0].Attempts, "attempts start again")
}

func testEventsConcurrentClaims(t *testing.T, st store.Store) {
	const n = 40
	for i := 0; i < n; i++ {
		appendEvent(t, st, store.EventUserBulkAction, "")
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var got []store.OutboxEntry
				err := st.InTx(ctx(t), func(tx store.Repos) error {
					var err error
					got, err = tx.Events().Claim(ctx(t), base, base.Add(time.Minute), 3)
					return err
				})
				if !assert.NoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					seen[e.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Len(t, seen, n)
	for id, c := range seen {
		assert.Equal(t, 1, c, "event %s claimed %d times", id, c)
	}
}

func testEventsErasure(t *testing.T, st store.Store) {
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	appendEvent(t, st, store.EventUserUpdated, ada.ID)
	byAda := &store.Event{Name: store.EventUserSuspended, UserID: bob.ID, ActorID: ada.ID, ImpersonatorID: ada.ID, OccurredAt: base}
	require.NoError(t, st.Events().Append(ctx(t), byAda))
	require.NoError(t, st.Erasure().DeleteUser(ctx(t), ada.ID))
	got := claim(t, st, base, 10)
	require.Len(t, got, 1, "the erased user's events are gone")
	assert.Equal(t, byAda.ID, got[0].ID, "events about others stay")
	assert.Empty(t, got[0].ActorID, "without the erased user as actor")
	assert.Empty(t, got[0].ImpersonatorID)
}

func testEventsAnnounced(t *testing.T, st store.Store) {
	rec := &recorder{}
	defer st.Subscribe(rec.add)()
	u := newUser(t, st, "ada")
	rec.take()
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		appendEvent(t, tx, store.EventUserUpdated, u.ID)
		assert.Empty(t, rec.take(), "not before the commit")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []store.Change{{Kind: store.EventsAppended, UserID: u.ID}}, rec.take())
}
