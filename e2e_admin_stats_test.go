package usermgmt_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestE2EAdminDashboard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		r := e.post(t, "/auth/login", map[string]any{"identifier": "user@example.com", "password": "wrong-password-123"})
		require.Equal(t, http.StatusUnauthorized, r.Status)

		r = e.get(t, "/admin/dashboard", e2eBearer(e.admin)...)
		require.Equal(t, http.StatusOK, r.Status, r.String())
		d := r.JSON(t)
		assert.Equal(t, map[string]any{"total": 3.0, "byStatus": map[string]any{"active": 3.0, "deactivated": 0.0, "suspended": 0.0, "locked": 0.0, "deleted": 0.0}}, d["users"])
		assert.Equal(t, map[string]any{"today": 3.0, "last7Days": 3.0, "last30Days": 3.0}, d["newUsers"])
		assert.Equal(t, 0.0, d["verified"])
		assert.Equal(t, 0.0, d["twoFactorEnabled"])
		assert.Equal(t, 3.0, d["activeSessions"])
		assert.Equal(t, 3.0, d["loginsToday"])
		assert.Equal(t, 1.0, d["failedLoginsToday"])

		e.post(t, "/auth/login", map[string]any{"identifier": "user@example.com", "password": "wrong-password-123"})
		again := e.get(t, "/admin/dashboard", e2eBearer(e.admin)...).JSON(t)
		assert.Equal(t, 1.0, again["failedLoginsToday"], "served from memory within the TTL")
		assert.Equal(t, d["generatedAt"], again["generatedAt"])
		e.clock.Advance(11 * time.Second)
		stale := e.get(t, "/admin/dashboard", e2eBearer(e.admin)...).JSON(t)
		assert.Equal(t, 1.0, stale["failedLoginsToday"], "after the TTL the old counts answer while a recount runs")
		assert.True(t, testkit.Poll(5*time.Second, func() bool {
			return e.get(t, "/admin/dashboard", e2eBearer(e.admin)...).JSON(t)["failedLoginsToday"] == 2.0
		}), "the recount arrives")
	})
}

func TestE2EAdminUserStats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		r := e.get(t, "/admin/users/stats", e2eBearer(e.moderator)...)
		require.Equal(t, http.StatusOK, r.Status, r.String())
		s := r.JSON(t)
		assert.Equal(t, 3.0, s["byStatus"].(map[string]any)["active"])
		assert.Equal(t, map[string]any{"admin": 1.0, "moderator": 1.0, "user": 3.0}, s["byRole"])
		days := s["signupsPerDay"].([]any)
		require.Len(t, days, 30, "the last 30 days, today included")
		today := e.clock.Now().UTC().Format(time.DateOnly)
		assert.Equal(t, map[string]any{"date": today, "count": 3.0}, days[29])
		assert.Equal(t, 0.0, days[0].(map[string]any)["count"], "empty days are zeros")

		from := e.clock.Now().UTC().Format(time.DateOnly)
		r = e.get(t, "/admin/users/stats?from="+from, e2eBearer(e.admin)...)
		require.Equal(t, http.StatusOK, r.Status, r.String())
		assert.Len(t, r.JSON(t)["signupsPerDay"], 1)
	})
}

func TestE2EAdminStatsRefusals(t *testing.T) {
	e := newRBACEnv(t, nil)
	for _, path := range []string{"/admin/dashboard", "/admin/users/stats"} {
		e2eCheckProblem(t, e.get(t, path), 401, "UNAUTHENTICATED")
		before := deniedRows(t, e)
		e2eCheckProblem(t, e.get(t, path, e2eBearer(e.user)...), 403, "PERMISSION_DENIED")
		assert.Equal(t, before+1, deniedRows(t, e))
	}
	e2eCheckProblem(t, e.get(t, "/admin/dashboard", e2eBearer(e.moderator)...), 403, "PERMISSION_DENIED")
	tests := []struct{ query, field string }{
		{"?from=yesterday", "from"},
		{"?to=2030-13-01", "to"},
		{"?from=2030-02-01&to=2030-01-01", "to"},
		{"?from=2020-01-01&to=2030-01-01", "from"},
	}
	for _, tc := range tests {
		p := e2eCheckProblem(t, e.get(t, "/admin/users/stats"+tc.query, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
		assert.Equal(t, []string{tc.field}, p.Fields(), tc.query)
	}
}
