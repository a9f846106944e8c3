package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func auditReportCases() []testCase {
	return []testCase{
		{"Stats", testAuditStats},
		{"Series", testAuditSeries},
		{"SeriesBadBucket", testAuditSeriesBadBucket},
		{"RollUp", testAuditRollUp},
	}
}

// recordAt writes one entry per element: action, outcome, actor, time.
func recordAt(t *testing.T, st store.Store, es ...store.AuditEntry) {
	t.Helper()
	for i := range es {
		require.NoError(t, st.Audit().Record(ctx(t), &es[i]))
	}
}

func testAuditStats(t *testing.T, st store.Store) {
	ok, fail := store.OutcomeSuccess, store.OutcomeFailure
	recordAt(t, st,
		store.AuditEntry{Action: "auth.login", Outcome: ok, CreatedAt: base},
		store.AuditEntry{Action: "auth.login", Outcome: ok, CreatedAt: base.Add(time.Hour)},
		store.AuditEntry{Action: "auth.login", Outcome: fail, CreatedAt: base.Add(2 * time.Hour)},
		store.AuditEntry{Action: "auth.register", Outcome: ok, CreatedAt: base.Add(3 * time.Hour)},
		store.AuditEntry{Action: "auth.login", Outcome: ok, CreatedAt: base.Add(-time.Second)},   // before the window
		store.AuditEntry{Action: "auth.login", Outcome: ok, CreatedAt: base.Add(24 * time.Hour)}, // at its end: outside
	)
	got, err := st.Audit().Stats(ctx(t), base, base.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []store.AuditCount{
		{Action: "auth.login", Outcome: fail, Count: 1},
		{Action: "auth.login", Outcome: ok, Count: 2},
		{Action: "auth.register", Outcome: ok, Count: 1},
	}, got)

	got, err = st.Audit().Stats(ctx(t), base.Add(48*time.Hour), base.Add(72*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testAuditSeries(t *testing.T, st store.Store) {
	ada, bob := uuid.NewString(), uuid.NewString()
	ok, fail := store.OutcomeSuccess, store.OutcomeFailure
	recordAt(t, st,
		// bucket 0
		store.AuditEntry{ActorID: ada, Action: "auth.login", Outcome: ok, CreatedAt: base},
		store.AuditEntry{ActorID: ada, Action: "auth.login", Outcome: ok, CreatedAt: base.Add(10 * time.Minute),
			Metadata: map[string]string{"mfa": "required"}},
		store.AuditEntry{ActorID: bob, Action: "auth.login", Outcome: fail, CreatedAt: base.Add(59*time.Minute + 59*time.Second)},
		// bucket 2 (bucket 1 is empty)
		store.AuditEntry{ActorID: bob, Action: "auth.register", Outcome: ok, CreatedAt: base.Add(2 * time.Hour)},
		store.AuditEntry{ActorID: bob, Action: "user.update", Outcome: ok, CreatedAt: base.Add(2*time.Hour + time.Minute),
			Metadata: map[string]string{"field": "name"}},
		store.AuditEntry{ActorID: ada, Action: "user.update", Outcome: ok, CreatedAt: base.Add(2*time.Hour + 2*time.Minute)},
		store.AuditEntry{Action: "auth.login", Outcome: fail, CreatedAt: base.Add(2*time.Hour + 3*time.Minute)},
		// outside the window
		store.AuditEntry{ActorID: ada, Action: "auth.login", Outcome: ok, CreatedAt: base.Add(-time.Nanosecond * 1000)},
		store.AuditEntry{ActorID: ada, Action: "auth.login", Outcome: ok, CreatedAt: base.Add(3 * time.Hour)},
	)
	q := store.AuditSeries{From: base, To: base.Add(3 * time.Hour), Bucket: time.Hour, Counters: []store.AuditCounter{
		{Actions: []string{"auth.login"}, Outcomes: []store.Outcome{ok}, ExceptKey: "mfa", ExceptValue: "required"},
		{Actions: []string{"auth.login"}, Outcomes: []store.Outcome{fail, store.OutcomeDenied}},
		{Actions: []string{"auth.register"}},
		{Outcomes: []store.Outcome{ok}, DistinctActors: true},
		{},
	}}
	got, err := st.Audit().Series(ctx(t), q)
	require.NoError(t, err)
	assert.Equal(t, []store.AuditBucket{
		{Index: 0, Counts: []int{1, 1, 0, 1, 3}},
		{Index: 2, Counts: []int{0, 1, 1, 2, 4}},
	}, got)
}

func testAuditSeriesBadBucket(t *testing.T, st store.Store) {
	for _, b := range []time.Duration{0, -time.Hour, 1500 * time.Millisecond} {
		_, err := st.Audit().Series(ctx(t), store.AuditSeries{From: base, To: base.Add(time.Hour), Bucket: b})
		assert.ErrorIs(t, err, store.ErrValidation, "%v", b)
	}
}

// rollUpAll runs RollUp until it reports nothing more before until.
func rollUpAll(t *testing.T, st store.Store, until time.Time) {
	t.Helper()
	for {
		more, err := st.Audit().RollUp(ctx(t), until)
		require.NoError(t, err)
		if !more {
			return
		}
	}
}

func testAuditRollUp(t *testing.T, st store.Store) {
	more, err := st.Audit().RollUp(ctx(t), base)
	require.NoError(t, err)
	assert.False(t, more, "an empty log has nothing to roll up")

	hour := base.Truncate(time.Hour)
	ada, bob := uuid.NewString(), uuid.NewString()
	ok, fail := store.OutcomeSuccess, store.OutcomeFailure
	recordAt(t, st,
		store.AuditEntry{ActorID: ada, Action: "auth.login", Outcome: ok, CreatedAt: hour},
		store.AuditEntry{ActorID: ada, Action: "auth.login", Outcome: ok, CreatedAt: hour.Add(20 * time.Minute),
			Metadata: map[string]string{"mfa": "required"}},
		store.AuditEntry{ActorID: bob, Action: "auth.login", Outcome: fail, CreatedAt: hour.Add(50 * time.Minute)},
		store.AuditEntry{ActorID: bob, Action: "auth.register", Outcome: ok, CreatedAt: hour.Add(2 * time.Hour)},
		store.AuditEntry{ActorID: ada, Action: "user.update", Outcome: ok, CreatedAt: hour.Add(26 * time.Hour)},
	)
	rollUpAll(t, st, hour.Add(25*time.Hour))
	q := store.AuditSeries{From: hour, To: hour.Add(27 * time.Hour), Bucket: time.Hour, Counters: []store.AuditCounter{
		{Actions: []string{"auth.login"}, Outcomes: []store.Outcome{ok}, ExceptKey: "mfa", ExceptValue: "required"},
		{Actions: []string{"auth.login"}, Outcomes: []store.Outcome{fail}},
		{Outcomes: []store.Outcome{ok}, DistinctActors: true},
	}}
	series := func() []store.AuditBucket {
		got, err := st.Audit().Series(ctx(t), q)
		require.NoError(t, err)
		return got
	}
	assert.Equal(t, []store.AuditBucket{
		{Index: 0, Counts: []int{1, 1, 1}}, {Index: 2, Counts: []int{0, 0, 1}}, {Index: 26, Counts: []int{0, 0, 1}},
	}, series())
	stats, err := st.Audit().Stats(ctx(t), hour.Add(30*time.Minute), hour.Add(27*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []store.AuditCount{{Action: "auth.login", Outcome: fail, Count: 1},
		{Action: "auth.register", Outcome: ok, Count: 1}, {Action: "user.update", Outcome: ok, Count: 1}}, stats)

	// An entry written late into a rolled-up hour counts at once, and
	// still after the hour is rolled again.
	recordAt(t, st, store.AuditEntry{ActorID: bob, Action: "auth.login", Outcome: ok, CreatedAt: hour.Add(time.Minute)})
	want := []store.AuditBucket{
		{Index: 0, Counts: []int{2, 1, 2}}, {Index: 2, Counts: []int{0, 0, 1}}, {Index: 26, Counts: []int{0, 0, 1}},
	}
	assert.Equal(t, want, series())
	rollUpAll(t, st, hour.Add(25*time.Hour))
	assert.Equal(t, want, series())
}
