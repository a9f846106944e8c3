package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func userStatsCases() []testCase {
	return []testCase{
		{"Counts", testStatsCounts},
		{"CreatedSince", testStatsCreatedSince},
		{"LiveSessions", testStatsLiveSessions},
		{"SignupsPerDay", testStatsSignupsPerDay},
	}
}

// statsUser creates a user created at, of the status and flags.
func statsUser(t *testing.T, st store.Store, name string, at time.Time, status store.Status, verified, twoFA bool) *store.User {
	t.Helper()
	u := &store.User{Email: name + "@example.com", Status: status, EmailVerified: verified, TwoFactorEnabled: twoFA,
		Visibility: store.VisibilityPublic, Preferences: store.DefaultPreferences(), CreatedAt: at, UpdatedAt: at}
	require.NoError(t, st.Users().Create(ctx(t), u))
	return u
}

func testStatsCounts(t *testing.T, st store.Store) {
	empty, err := st.UserStats().Counts(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, store.UserCounts{ByStatus: map[store.Status]int{}}, empty)
	statsUser(t, st, "a", base, store.StatusActive, true, true)
	statsUser(t, st, "b", base, store.StatusActive, true, false)
	statsUser(t, st, "c", base, store.StatusSuspended, false, true)
	statsUser(t, st, "d", base, store.StatusDeleted, false, false)
	got, err := st.UserStats().Counts(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, store.UserCounts{ByStatus: map[store.Status]int{store.StatusActive: 2, store.StatusSuspended: 1, store.StatusDeleted: 1},
		Verified: 2, TwoFactor: 2}, got)
}

func testStatsCreatedSince(t *testing.T, st store.Store) {
	for i, name := range []string{"a", "b", "c"} {
		statsUser(t, st, name, base.Add(-time.Duration(i)*24*time.Hour), store.StatusActive, false, false)
	}
	got, err := st.UserStats().CreatedSince(ctx(t), base, base.Add(-24*time.Hour).In(zone), base.Add(-30*24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, got)
}

func testStatsLiveSessions(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	newSession(t, st, u.ID, base, time.Hour)
	newSession(t, st, u.ID, base.Add(-2*time.Hour), time.Hour) // expired
	revoked := newSession(t, st, u.ID, base, time.Hour)
	require.NoError(t, st.Sessions().Revoke(ctx(t), revoked.ID, base, "test"))
	n, err := st.UserStats().LiveSessions(ctx(t), base.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func testStatsSignupsPerDay(t *testing.T, st store.Store) {
	day := time.Date(2030, 3, 10, 0, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{day.Add(time.Minute), day.Add(23 * time.Hour), day.Add(26 * time.Hour), day.Add(72 * time.Hour), day.Add(-time.Second)} {
		statsUser(t, st, string(rune('a'+i)), at.In(zone), store.StatusActive, false, false)
	}
	got, err := st.UserStats().SignupsPerDay(ctx(t), day, day.Add(72*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []store.DayCount{{Day: day, Count: 2}, {Day: day.Add(24 * time.Hour), Count: 1}}, got,
		"UTC days, the window's end excluded, empty days left out")
}
