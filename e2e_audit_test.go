package usermgmt_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestE2EAuditRoutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		bad := e.post(t, "/auth/login", map[string]any{"identifier": "user@example.com", "password": "wrong-password-123"})
		require.Equal(t, http.StatusUnauthorized, bad.Status)

		t.Run("Permissions", func(t *testing.T) {
			for _, p := range []string{"/audit", "/audit/stats", "/audit/analytics", "/audit/user/" + e.userID} {
				e2eCheckProblem(t, e.get(t, p, e2eBearer(e.user)...), http.StatusForbidden, "PERMISSION_DENIED")
				e2eCheckProblem(t, e.get(t, p), http.StatusUnauthorized, "UNAUTHENTICATED")
				assert.Equal(t, http.StatusOK, e.get(t, p, e2eBearer(e.moderator)...).Status, p)
			}
			r := e.post(t, "/audit/cleanup", map[string]any{"olderThanDays": 30}, e2eBearer(e.moderator)...)
			e2eCheckProblem(t, r, http.StatusForbidden, "PERMISSION_DENIED")
		})

		t.Run("Filters", func(t *testing.T) {
			q := url.Values{"action": {"auth.login"}, "outcome": {"failure"}, "targetId": {e.userID}}
			r := e.get(t, "/audit?"+q.Encode(), e2eBearer(e.moderator)...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			items := r.JSON(t)["items"].([]any)
			require.Len(t, items, 1, "the one failed login")
			it := items[0].(map[string]any)
			assert.Equal(t, e.userID, it["targetId"])
			assert.Equal(t, map[string]any{"reason": "bad_credentials"}, it["metadata"])
			for _, k := range []string{"id", "actorId", "impersonatorId", "action", "targetId", "outcome", "ip", "userAgent", "requestId", "metadata", "createdAt"} {
				assert.Contains(t, it, k)
			}
			assert.Contains(t, r.JSON(t), "nextCursor")
		})

		t.Run("UserTrail", func(t *testing.T) {
			r := e.get(t, "/audit/user/"+e.userID+"?limit=100", e2eBearer(e.moderator)...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			actions := map[string]int{}
			for _, it := range r.JSON(t)["items"].([]any) {
				actions[it.(map[string]any)["action"].(string)]++
			}
			assert.Equal(t, 1, actions["auth.register"])
			assert.Equal(t, 2, actions["auth.login"], "the sign-in and the failed one")
		})

		t.Run("BadInput", func(t *testing.T) {
			for _, p := range []string{"/audit?outcome=maybe", "/audit?from=yesterday", "/audit?limit=101",
				"/audit/analytics?interval=month", "/audit/stats?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z"} {
				e2eCheckProblem(t, e.get(t, p, e2eBearer(e.admin)...), http.StatusBadRequest, "VALIDATION_FAILED")
			}
			for _, body := range []any{map[string]any{"olderThanDays": 0}, map[string]any{}, map[string]any{"olderThanDays": "9"}} {
				e2eCheckProblem(t, e.post(t, "/audit/cleanup", body, e2eBearer(e.admin)...), http.StatusBadRequest, "VALIDATION_FAILED")
			}
		})

		t.Run("StatsAndAnalytics", func(t *testing.T) {
			r := e.get(t, "/audit/stats", e2eBearer(e.admin)...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			s := r.JSON(t)
			assert.Equal(t, float64(1), s["byOutcome"].(map[string]any)["failure"])
			r = e.get(t, "/audit/analytics?interval=day", e2eBearer(e.admin)...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			buckets := r.JSON(t)["buckets"].([]any)
			require.Len(t, buckets, 31)
			last := buckets[len(buckets)-1].(map[string]any)
			assert.Equal(t, float64(3), last["signUps"])
			assert.Equal(t, float64(3), last["successfulLogins"])
			assert.Equal(t, float64(1), last["failedLogins"])
		})

		t.Run("Cleanup", func(t *testing.T) {
			old := &store.AuditEntry{Action: "user.update", Outcome: store.OutcomeSuccess, CreatedAt: e.clock.Now().AddDate(0, 0, -40)}
			require.NoError(t, st.Audit().Record(context.Background(), old))
			r := e.post(t, "/audit/cleanup", map[string]any{"olderThanDays": 30}, e2eBearer(e.admin)...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			assert.Equal(t, map[string]any{"deleted": float64(1)}, r.JSON(t))
		})
	})
}

func TestE2EAuditRetention(t *testing.T) {
	st := dbtest.SQLite(t)
	e := newE2E(t, st, usermgmt.WithAuditRetention(7))
	ctx := context.Background()
	old := &store.AuditEntry{Action: "user.update", Outcome: store.OutcomeSuccess, CreatedAt: e.clock.Now().AddDate(0, 0, -8)}
	kept := &store.AuditEntry{Action: "user.update", Outcome: store.OutcomeSuccess, CreatedAt: e.clock.Now().AddDate(0, 0, -6)}
	require.NoError(t, st.Audit().Record(ctx, old))
	require.NoError(t, st.Audit().Record(ctx, kept))
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.m.Run(run) }()
	require.Eventually(t, func() bool {
		n, err := st.Audit().Count(ctx, store.AuditFilter{Action: "user.update"})
		return err == nil && n == 1
	}, 5*time.Second, 10*time.Millisecond)
	stop()
	require.NoError(t, <-done)
	n, err := st.Audit().Count(ctx, store.AuditFilter{Action: "audit.cleanup"})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the retention run is audited")

	_, err = usermgmt.New(st, usermgmt.WithAuditRetention(-1))
	assert.ErrorContains(t, err, "WithAuditRetention")
}
