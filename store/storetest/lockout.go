package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func lockoutCases() []testCase {
	return []testCase{
		{"NoRecord", testLockoutNoRecord},
		{"CountsBelowThreshold", testLockoutCounts},
		{"ThresholdLocks", testLockoutThresholdLocks},
		{"NewWindowAfterWindow", testLockoutNewWindow},
		{"LockGrowsOnRepeat", testLockoutLockGrows},
		{"Reset", testLockoutReset},
		{"ConcurrentFailures", testLockoutConcurrent},
	}
}

var policy = store.LockoutPolicy{
	Threshold: 5,
	Window:    15 * time.Minute,
	LockFor:   10 * time.Minute,
	MaxLock:   30 * time.Minute,
}

func fail(t *testing.T, st store.Store, id string, at time.Time) store.LoginFailures {
	t.Helper()
	rec, err := st.Lockout().RecordFailure(ctx(t), id, at, policy)
	require.NoError(t, err)
	return rec
}

func testLockoutNoRecord(t *testing.T, st store.Store) {
	rec, err := st.Lockout().Failures(ctx(t), "nobody@example.com")
	require.NoError(t, err)
	assert.Zero(t, rec.Count)
	assert.Nil(t, rec.LockedUntil)
	assert.Zero(t, rec.Locks)
}

func testLockoutCounts(t *testing.T, st store.Store) {
	const id = "ada@example.com"
	for i := 1; i < policy.Threshold; i++ {
		rec := fail(t, st, id, base.Add(time.Duration(i)*time.Minute))
		assert.Equal(t, id, rec.Identifier)
		assert.Equal(t, i, rec.Count)
		assert.Nil(t, rec.LockedUntil, "below the threshold")
		sameTime(t, base.Add(time.Minute), rec.WindowStart, "the window starts at the first failure")
	}
	rec, err := st.Lockout().Failures(ctx(t), id)
	require.NoError(t, err)
	assert.Equal(t, policy.Threshold-1, rec.Count)
	assert.Nil(t, rec.LockedUntil)
	sameTime(t, base.Add(time.Duration(policy.Threshold-1)*time.Minute), rec.UpdatedAt)

	other, err := st.Lockout().Failures(ctx(t), "bob@example.com")
	require.NoError(t, err)
	assert.Zero(t, other.Count, "identifiers are counted apart")
}

func testLockoutThresholdLocks(t *testing.T, st store.Store) {
	const id = "ada"
	var rec store.LoginFailures
	for i := range policy.Threshold {
		rec = fail(t, st, id, base.Add(time.Duration(i)*time.Second))
	}
	lockedAt := base.Add(time.Duration(policy.Threshold-1) * time.Second)
	assert.Equal(t, policy.Threshold, rec.Count)
	assert.Equal(t, 1, rec.Locks)
	sameTimePtr(t, ptr(lockedAt.Add(policy.LockFor)), rec.LockedUntil, "the first lock lasts LockFor")

	stored, err := st.Lockout().Failures(ctx(t), id)
	require.NoError(t, err)
	assert.Equal(t, policy.Threshold, stored.Count)
	assert.Equal(t, 1, stored.Locks)
	sameTimePtr(t, rec.LockedUntil, stored.LockedUntil)

	// Failures while locked still count but do not extend or repeat the lock.
	rec = fail(t, st, id, lockedAt.Add(time.Minute))
	assert.Equal(t, policy.Threshold+1, rec.Count)
	assert.Equal(t, 1, rec.Locks)
	sameTimePtr(t, ptr(lockedAt.Add(policy.LockFor)), rec.LockedUntil)
}

func testLockoutNewWindow(t *testing.T, st store.Store) {
	const id = "ada"
	for i := range policy.Threshold - 1 {
		fail(t, st, id, base.Add(time.Duration(i)*time.Minute))
	}
	// The window opened at base; once it has passed, counting restarts.
	later := base.Add(policy.Window + time.Minute)
	rec := fail(t, st, id, later.In(zone))
	assert.Equal(t, 1, rec.Count, "a new window")
	sameTime(t, later, rec.WindowStart)
	assert.Nil(t, rec.LockedUntil)
	for i := 2; i < policy.Threshold; i++ {
		rec = fail(t, st, id, later.Add(time.Duration(i)*time.Second))
		assert.Equal(t, i, rec.Count)
		assert.Nil(t, rec.LockedUntil, "failures of the old window do not count")
	}
	rec = fail(t, st, id, later.Add(time.Minute))
	assert.Equal(t, policy.Threshold, rec.Count)
	assert.NotNil(t, rec.LockedUntil)
}

func testLockoutLockGrows(t *testing.T, st store.Store) {
	const id = "ada"
	at := base
	// lockOnce fails until the identifier is locked and returns the record
	// and the time of the locking failure.
	lockOnce := func() (store.LoginFailures, time.Time) {
		t.Helper()
		for range policy.Threshold {
			at = at.Add(time.Second)
			if rec := fail(t, st, id, at); rec.LockedUntil != nil {
				return rec, at
			}
		}
		require.FailNow(t, "no lock after Threshold failures")
		return store.LoginFailures{}, at
	}

	for n, want := range []time.Duration{policy.LockFor, 2 * policy.LockFor, policy.MaxLock, policy.MaxLock} {
		rec, lockedAt := lockOnce()
		assert.Equal(t, n+1, rec.Locks, "lock %d", n+1)
		sameTimePtr(t, ptr(lockedAt.Add(want)), rec.LockedUntil, "lock %d lasts %v", n+1, want)
		// The next failure comes once the lock has ended: a new window.
		at = rec.LockedUntil.Add(time.Second)
		next := fail(t, st, id, at)
		assert.Equal(t, 1, next.Count, "after lock %d a new window starts", n+1)
		assert.Nil(t, next.LockedUntil, "after lock %d the lock is lifted", n+1)
		assert.Equal(t, n+1, next.Locks, "the lock count is remembered")
	}
}

func testLockoutReset(t *testing.T, st store.Store) {
	for i := range policy.Threshold {
		fail(t, st, "ada", base.Add(time.Duration(i)*time.Second))
	}
	fail(t, st, "bob", base)
	require.NoError(t, st.Lockout().Reset(ctx(t), "ada"))
	rec, err := st.Lockout().Failures(ctx(t), "ada")
	require.NoError(t, err)
	assert.Zero(t, rec.Count)
	assert.Nil(t, rec.LockedUntil)
	assert.Zero(t, rec.Locks)

	rec, err = st.Lockout().Failures(ctx(t), "bob")
	require.NoError(t, err)
	assert.Equal(t, 1, rec.Count, "other identifiers untouched")

	require.NoError(t, st.Lockout().Reset(ctx(t), "nobody"), "resetting an unknown identifier is not an error")
	rec = fail(t, st, "ada", base.Add(time.Minute))
	assert.Equal(t, 1, rec.Count)
	assert.Nil(t, rec.LockedUntil)
}

func testLockoutConcurrent(t *testing.T, st store.Store) {
	const id = "race@example.com"
	const n = 20
	recs := make([]store.LoginFailures, n)
	errs := parallel(n, func(i int) error {
		var err error
		recs[i], err = st.Lockout().RecordFailure(ctx(t), id, base.Add(time.Second), policy)
		return err
	})
	ok, _ := tally(t, errs, nil)
	require.Equal(t, n, ok, "every failure is recorded")

	rec, err := st.Lockout().Failures(ctx(t), id)
	require.NoError(t, err)
	assert.Equal(t, n, rec.Count, "concurrent failures each count")
	assert.Equal(t, 1, rec.Locks, "one lock, set once")
	sameTimePtr(t, ptr(base.Add(time.Second).Add(policy.LockFor)), rec.LockedUntil)
	for i, r := range recs {
		if r.Count >= policy.Threshold {
			assert.NotNil(t, r.LockedUntil, "call %d saw count %d but no lock", i, r.Count)
		}
	}
}
