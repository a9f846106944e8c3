package bunstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// rollupCounters are the counters audit.Query.Analytics asks for.
var rollupCounters = []store.AuditCounter{
	{Actions: []string{"auth.login", "auth.login_2fa"}, Outcomes: []store.Outcome{store.OutcomeSuccess},
		ExceptKey: "mfa", ExceptValue: "required"},
	{Actions: []string{"auth.login", "auth.login_2fa"}, Outcomes: []store.Outcome{store.OutcomeFailure, store.OutcomeDenied}},
	{Actions: []string{"auth.register"}, Outcomes: []store.Outcome{store.OutcomeSuccess}},
	{Outcomes: []store.Outcome{store.OutcomeSuccess}, DistinctActors: true},
}

// rollupBase is a Monday at midnight UTC, the start of the generated log.
var rollupBase = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)

const rollupSpan = 20 * 24 * time.Hour

// TestAuditRollupsMatchPlain compares Stats and Series through the
// rollups with the plain GROUP BY over audit_log, for random windows and
// intervals, on random entries: after the roll-up, after entries written
// late into rolled-up hours (before and after the job rolls them again),
// after retention deletes and after a pseudonymisation.
func TestAuditRollupsMatchPlain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(11, 13))
		actors := make([]string, 12)
		for i := range actors {
			actors[i] = uuid.NewString()
		}
		record(t, st, rng, actors, 800, rollupBase, rollupSpan)
		rollUp(t, st, rollupBase.Add(15*24*time.Hour+30*time.Minute))
		require.Positive(t, rows(t, st, "audit_rollup_counts"))
		require.Positive(t, rows(t, st, "audit_rollup_actors"))
		compareRollups(t, st, rng, "rolled up")

		// Late entries into hours already rolled up.
		record(t, st, rng, actors, 40, rollupBase, 10*24*time.Hour)
		require.Positive(t, rows(t, st, "audit_rollup_dirty"))
		compareRollups(t, st, rng, "late entries, not rolled again")
		rollUp(t, st, rollupBase.Add(15*24*time.Hour+30*time.Minute))
		require.Zero(t, rows(t, st, "audit_rollup_dirty"))
		compareRollups(t, st, rng, "late entries rolled again")

		for range 3 {
			_, err := st.Audit().DeleteBefore(ctx, rollupBase.Add(3*24*time.Hour), 50)
			require.NoError(t, err)
		}
		compareRollups(t, st, rng, "after retention deletes")
		_, err := st.Audit().Pseudonymize(ctx, actors[0], uuid.NewString(), nil)
		require.NoError(t, err)
		rollUp(t, st, rollupBase.Add(rollupSpan+time.Hour))
		compareRollups(t, st, rng, "all rolled up, after deletes and erasure")
	})
}

// TestAuditRollUpConcurrent runs the job from several instances at once:
// each step is done by one, and the rollups still match.
func TestAuditRollUpConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		rng := rand.New(rand.NewPCG(5, 7))
		record(t, st, rng, []string{uuid.NewString(), uuid.NewString()}, 300, rollupBase, rollupSpan)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rollUp(t, st, rollupBase.Add(rollupSpan))
			}()
		}
		wg.Wait()
		rollUp(t, st, rollupBase.Add(rollupSpan))
		compareRollups(t, st, rng, "concurrent roll-ups")
	})
}

// rows counts the rows of table.
func rows(t *testing.T, st *bunstore.Store, table string) int {
	t.Helper()
	n, err := st.DB().NewSelect().Table(table).Count(context.Background())
	require.NoError(t, err)
	return n
}

// record writes n random entries over [from, from+span).
func record(t *testing.T, st store.Store, rng *rand.Rand, actors []string, n int, from time.Time, span time.Duration) {
	t.Helper()
	actions := []string{"auth.login", "auth.login_2fa", "auth.register", "user.update"}
	outcomes := []store.Outcome{store.OutcomeSuccess, store.OutcomeSuccess, store.OutcomeFailure, store.OutcomeDenied}
	for range n {
		e := store.AuditEntry{Action: actions[rng.IntN(len(actions))], Outcome: outcomes[rng.IntN(len(outcomes))],
			CreatedAt: from.Add(time.Duration(rng.Int64N(int64(span))))}
		if rng.IntN(8) > 0 {
			e.ActorID = actors[rng.IntN(len(actors))]
		}
		if rng.IntN(4) == 0 {
			e.Metadata = map[string]string{"mfa": "required"}
		}
		require.NoError(t, st.Audit().Record(context.Background(), &e))
	}
}

// rollUp runs the job until it has nothing left before until.
func rollUp(t *testing.T, st store.Store, until time.Time) {
	t.Helper()
	for {
		more, err := st.Audit().RollUp(context.Background(), until)
		require.NoError(t, err)
		if !more {
			return
		}
	}
}

// compareRollups checks random windows of Stats and Series against the
// plain queries.
func compareRollups(t *testing.T, st *bunstore.Store, rng *rand.Rand, stage string) {
	t.Helper()
	ctx := context.Background()
	widths := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	for i := range 40 {
		from := rollupBase.Add(-24*time.Hour + time.Duration(rng.Int64N(int64(rollupSpan))))
		to := from.Add(time.Duration(1 + rng.Int64N(int64(rollupSpan))))
		name := fmt.Sprintf("%s #%d [%s, %s)", stage, i, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
		want, err := bunstore.PlainStats(ctx, st, from, to)
		require.NoError(t, err)
		got, err := st.Audit().Stats(ctx, from, to)
		require.NoError(t, err)
		require.Equal(t, want, got, "stats "+name)

		w := widths[i%len(widths)]
		q := store.AuditSeries{From: gridAligned(from, w), To: to, Bucket: w, Counters: rollupCounters}
		if i%5 == 4 {
			q.From = from // off the grid: read from audit_log alone
		}
		plain, err := bunstore.PlainSeries(ctx, st, q)
		require.NoError(t, err)
		series, err := st.Audit().Series(ctx, q)
		require.NoError(t, err)
		require.Equal(t, counting(plain), counting(series), "series by %s %s", w, name)
	}
}

// gridAligned is the start of the hour, UTC day or ISO week holding t.
func gridAligned(t time.Time, w time.Duration) time.Time {
	if w == 7*24*time.Hour {
		day := t.Truncate(24 * time.Hour)
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	}
	return t.Truncate(w)
}

// counting leaves out the buckets that count nothing.
func counting(bs []store.AuditBucket) []store.AuditBucket {
	return slices.DeleteFunc(slices.Clone(bs), func(b store.AuditBucket) bool {
		return !slices.ContainsFunc(b.Counts, func(n int) bool { return n != 0 })
	})
}
