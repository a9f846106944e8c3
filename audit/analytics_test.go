package audit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// A Wednesday, so that weeks start two days earlier.
var wed = time.Date(2030, 1, 9, 15, 30, 0, 0, time.UTC)

func TestAnalytics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newQueryEnv(t, st, func() time.Time { return wed })
		ok, fail, denied := store.OutcomeSuccess, store.OutcomeFailure, store.OutcomeDenied
		day := func(d int, h int) time.Time { return time.Date(2030, 1, d, h, 0, 0, 0, time.UTC) }
		put(t, st,
			// Monday 7th: two logins by the user, one of them only the password step.
			store.AuditEntry{ActorID: e.uid, Action: "auth.login", Outcome: ok, CreatedAt: day(7, 9), Metadata: map[string]string{"mfa": "required"}},
			store.AuditEntry{ActorID: e.uid, Action: "auth.login_2fa", Outcome: ok, CreatedAt: day(7, 9).Add(time.Minute)},
			store.AuditEntry{ActorID: e.uid, Action: "auth.login", Outcome: ok, CreatedAt: day(7, 18)},
			store.AuditEntry{Action: "auth.login", Outcome: fail, CreatedAt: day(7, 19)},
			// Tuesday 8th: nothing. Wednesday 9th: a sign-up, a locked login, the admin acting.
			store.AuditEntry{ActorID: e.modID, TargetID: e.modID, Action: "auth.register", Outcome: ok, CreatedAt: day(9, 1)},
			store.AuditEntry{ActorID: e.uid, TargetID: e.uid, Action: "auth.login", Outcome: denied, CreatedAt: day(9, 2)},
			store.AuditEntry{ActorID: e.adminID, Action: "role.assign", Outcome: ok, CreatedAt: day(9, 3)},
			// Sunday 6th: the week before.
			store.AuditEntry{ActorID: e.adminID, Action: "auth.login", Outcome: ok, CreatedAt: day(6, 23)},
		)
		type row struct{ start, ok, failed, signUps, active int }
		flat := func(a audit.Analytics) []row {
			var out []row
			for _, b := range a.Buckets {
				out = append(out, row{b.Start.Day()*100 + b.Start.Hour(), b.SuccessfulLogins, b.FailedLogins, b.SignUps, b.ActiveUsers})
			}
			return out
		}
		t.Run("Day", func(t *testing.T) {
			a, err := e.q.Analytics(e.admin, audit.Window{From: day(6, 12), To: day(9, 12)}, audit.Day)
			require.NoError(t, err)
			assert.Equal(t, day(6, 0), a.From, "widened to whole days")
			assert.Equal(t, day(10, 0), a.To)
			assert.Equal(t, []row{{600, 1, 0, 0, 1}, {700, 2, 1, 0, 1}, {800, 0, 0, 0, 0}, {900, 0, 1, 1, 2}}, flat(a))
		})
		t.Run("WeekStartsMonday", func(t *testing.T) {
			a, err := e.q.Analytics(e.admin, audit.Window{From: day(6, 0), To: day(10, 0)}, audit.Week)
			require.NoError(t, err)
			assert.Equal(t, time.Monday, a.Buckets[1].Start.Weekday())
			// Monday Dec 31st 2029 to Monday 7th, then the 7th to the 14th.
			assert.Equal(t, []row{{3100, 1, 0, 0, 1}, {700, 2, 2, 1, 3}}, flat(a))
		})
		t.Run("Hour", func(t *testing.T) {
			a, err := e.q.Analytics(e.admin, audit.Window{From: day(7, 9).Add(30 * time.Minute), To: day(7, 12)}, audit.Hour)
			require.NoError(t, err)
			assert.Equal(t, []row{{709, 1, 0, 0, 1}, {710, 0, 0, 0, 0}, {711, 0, 0, 0, 0}}, flat(a))
		})
		t.Run("SameAfterRollUp", func(t *testing.T) {
			require.NoError(t, e.q.RollUp(store.NewContextWithActor(context.Background(), store.SystemActor)))
			for iv, want := range map[audit.Interval][]row{
				audit.Day:  {{600, 1, 0, 0, 1}, {700, 2, 1, 0, 1}, {800, 0, 0, 0, 0}, {900, 0, 1, 1, 2}},
				audit.Week: {{3100, 1, 0, 0, 1}, {700, 2, 2, 1, 3}},
				audit.Hour: {{709, 1, 0, 0, 1}, {710, 0, 0, 0, 0}, {711, 0, 0, 0, 0}},
			} {
				w := audit.Window{From: day(6, 12), To: day(9, 12)}
				if iv == audit.Hour {
					w = audit.Window{From: day(7, 9).Add(30 * time.Minute), To: day(7, 12)}
				}
				a, err := e.q.Analytics(e.admin, w, iv)
				require.NoError(t, err)
				assert.Equal(t, want, flat(a), iv)
			}
		})
		t.Run("DefaultsToThirtyDaysByDay", func(t *testing.T) {
			a, err := e.q.Analytics(e.admin, audit.Window{}, "")
			require.NoError(t, err)
			assert.Equal(t, audit.Day, a.Interval)
			assert.Len(t, a.Buckets, 31, "30 days back from mid-day: 31 calendar days")
		})
		bad := []struct {
			name string
			w    audit.Window
			iv   audit.Interval
		}{
			{"UnknownInterval", audit.Window{}, "month"},
			{"Backwards", audit.Window{From: day(9, 0), To: day(7, 0)}, audit.Day},
			{"TooManyBuckets", audit.Window{From: day(1, 0).AddDate(-1, 0, 0), To: day(1, 0)}, audit.Hour},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.q.Analytics(e.admin, c.w, c.iv)
				assert.ErrorIs(t, err, store.ErrValidation)
			})
		}
	})
}

func TestStats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newQueryEnv(t, st, func() time.Time { return wed })
		put(t, st,
			store.AuditEntry{Action: "auth.login", Outcome: store.OutcomeSuccess, CreatedAt: wed.Add(-time.Hour)},
			store.AuditEntry{Action: "auth.login", Outcome: store.OutcomeFailure, CreatedAt: wed.Add(-2 * time.Hour)},
			store.AuditEntry{Action: "auth.login", Outcome: store.OutcomeFailure, CreatedAt: wed.Add(-3 * time.Hour)},
			store.AuditEntry{Action: "auth.login", Outcome: store.OutcomeSuccess, CreatedAt: wed.Add(-31 * 24 * time.Hour)},
		)
		s, err := e.q.Stats(e.mod, audit.Window{})
		require.NoError(t, err)
		assert.Equal(t, wed.Add(-audit.DefaultWindow), s.From)
		assert.Equal(t, 3, s.Total, "the last 30 days only")
		assert.Equal(t, map[store.Outcome]int{store.OutcomeSuccess: 1, store.OutcomeFailure: 2, store.OutcomeDenied: 0}, s.ByOutcome)
		assert.Equal(t, []store.AuditCount{{Action: "auth.login", Outcome: store.OutcomeFailure, Count: 2},
			{Action: "auth.login", Outcome: store.OutcomeSuccess, Count: 1}}, s.Counts)
	})
}

func TestCleanup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newQueryEnv(t, st, func() time.Time { return wed })
		old := make([]store.AuditEntry, audit.CleanupBatch+5)
		for i := range old {
			old[i] = store.AuditEntry{Action: "user.update", Outcome: store.OutcomeSuccess, CreatedAt: wed.Add(-10*24*time.Hour - time.Duration(i+1)*time.Second)}
		}
		put(t, st, old...)
		put(t, st, store.AuditEntry{Action: "user.update", Outcome: store.OutcomeSuccess, CreatedAt: wed.Add(-9 * 24 * time.Hour)})

		_, err := e.q.Cleanup(e.admin, 0)
		assert.ErrorIs(t, err, store.ErrValidation, "at least one day")
		n, err := e.q.Cleanup(e.admin, 10)
		require.NoError(t, err)
		assert.Equal(t, len(old), n, "every batch")
		left, err := st.Audit().Count(context.Background(), store.AuditFilter{Action: "user.update"})
		require.NoError(t, err)
		assert.Equal(t, 1, left, "the younger entry stays")
		rec, err := st.Audit().List(context.Background(), store.AuditFilter{Action: "audit.cleanup"}, store.ListRequest{})
		require.NoError(t, err)
		require.Len(t, rec.Items, 1, "the cleanup is audited")
		assert.Equal(t, e.adminID, rec.Items[0].ActorID)
		assert.Equal(t, strconv.Itoa(len(old)), rec.Items[0].Metadata["deleted"])
	})
}
