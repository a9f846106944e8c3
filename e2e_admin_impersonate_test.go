package usermgmt_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// impersonate asks, with token, to act as id and returns the answer.
func (e *adminEnv) impersonate(t *testing.T, token, id string) *e2eResp {
	t.Helper()
	return e.post(t, "/admin/users/"+id+"/impersonate", nil, e2eBearer(token)...)
}

func TestAdminImpersonation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		r := e.impersonate(t, e.admin, e.userID)
		require.Equal(t, 200, r.Status, r.String())
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		body := r.JSON(t)
		assert.Nil(t, body["refreshToken"], "no refresh token")
		assert.Contains(t, body, "refreshToken")
		assert.Equal(t, float64(600), body["expiresIn"], "10 minutes by default")
		assert.Equal(t, map[string]any{"sub": e.adminID}, body["act"])
		token := body["accessToken"].(string)
		sid := body["sessionId"].(string)
		_, c, _ := e2eJWT(t, token)
		assert.Equal(t, e.userID, c["sub"])
		assert.Equal(t, sid, c["sid"])
		assert.Equal(t, map[string]any{"sub": e.adminID}, c["act"])
		assert.Equal(t, float64(600), c["exp"].(float64)-c["iat"].(float64))

		// The token acts as the user.
		p := e.get(t, "/users/profile", e2eBearer(token)...)
		require.Equal(t, 200, p.Status, p.String())
		assert.Equal(t, e.userID, p.JSON(t)["id"])

		// Every change made with it is audited with both ids.
		require.Equal(t, 200, e.do(t, "PUT", "/users/preferences", map[string]any{"language": "fr"}, e2eBearer(token)...).Status)
		rows := e.audits(t, "user.preferences_update", e.userID, store.OutcomeSuccess)
		require.NotEmpty(t, rows)
		last := rows[0]
		assert.Equal(t, e.userID, last.ActorID)
		assert.Equal(t, e.adminID, last.ImpersonatorID)
		imp := e.audits(t, "admin.impersonate", e.userID, store.OutcomeSuccess)
		require.Len(t, imp, 1)
		assert.Equal(t, e.adminID, imp[0].ActorID)
		assert.Equal(t, sid, imp[0].Metadata["session_id"])
		assert.Contains(t, e.notices(t, e.userID), "security.impersonated")

		// Sensitive changes need a recent sign-in, which an impersonation
		// never is.
		e2eCheckProblem(t, e.post(t, "/2fa/setup", map[string]any{"method": "email"}, e2eBearer(token)...), 403, "REAUTHENTICATION_REQUIRED")

		t.Run("TheUserSeesAndEndsIt", func(t *testing.T) {
			r := e.impersonate(t, e.admin, e.userID)
			require.Equal(t, 200, r.Status)
			tok, sid := r.JSON(t)["accessToken"].(string), r.JSON(t)["sessionId"].(string)
			sessions := e.get(t, "/sessions", e2eBearer(e.user)...)
			assert.Contains(t, string(sessions.Body), sid)
			require.Equal(t, 204, e.do(t, "DELETE", "/sessions/"+sid, nil, e2eBearer(e.user)...).Status)
			e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(tok)...), 401, "UNAUTHENTICATED")
		})
		t.Run("SuspensionEndsIt", func(t *testing.T) {
			id := e.register(t, "victim@example.com")
			tok := e.impersonate(t, e.admin, id).JSON(t)["accessToken"].(string)
			require.Equal(t, 200, e.post(t, "/admin/users/"+id+"/suspend", map[string]any{"reason": "x"}, e2eBearer(e.admin)...).Status)
			e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(tok)...), 401, "UNAUTHENTICATED")
		})
		t.Run("NoRefresh", func(t *testing.T) {
			n, err := st.DB().NewSelect().Table("refresh_tokens").Where("session_id = ?", sid).Count(context.Background())
			require.NoError(t, err)
			assert.Zero(t, n, "the impersonation session has no refresh token")
			e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": token}), 401, "INVALID_REFRESH_TOKEN")
		})
		t.Run("Expiry", func(t *testing.T) {
			tok := e.impersonate(t, e.admin, e.userID).JSON(t)["accessToken"].(string)
			e.clock.Advance(9 * time.Minute)
			assert.Equal(t, 200, e.get(t, "/users/profile", e2eBearer(tok)...).Status)
			e.clock.Advance(time.Minute + 31*time.Second)
			e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(tok)...), 401, "TOKEN_EXPIRED")
		})
	})
}

func TestAdminImpersonationRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		supportID, support := e.withRole(t, "support@example.com", "ADMIN_ACCESS", "USER_READ")
		refused := func(t *testing.T, token, id string, status int, code, detail string) {
			t.Helper()
			before := deniedRows(t, e.rbacEnv)
			p := e2eCheckProblem(t, e.impersonate(t, token, id), status, code)
			assert.Contains(t, p.Detail, detail)
			if status == 403 && code == "PERMISSION_DENIED" {
				assert.Equal(t, before+1, deniedRows(t, e.rbacEnv), "audited as denied")
			}
		}
		t.Run("Escalation", func(t *testing.T) {
			refused(t, support, e.adminID, 403, "PERMISSION_DENIED", "which you do not hold")
			refused(t, support, e.moderatorID, 403, "PERMISSION_DENIED", "AUDIT_READ")
			assert.Equal(t, 200, e.impersonate(t, support, e.userID).Status, "a plain user holds nothing support lacks")
		})
		t.Run("Chaining", func(t *testing.T) {
			r := e.impersonate(t, e.admin, supportID)
			require.Equal(t, 200, r.Status, r.String())
			as := r.JSON(t)["accessToken"].(string)
			refused(t, as, e.userID, 403, "PERMISSION_DENIED", "impersonation token cannot impersonate")
		})
		t.Run("Self", func(t *testing.T) {
			refused(t, e.admin, e.adminID, 403, "PERMISSION_DENIED", "yourself")
		})
		t.Run("Status", func(t *testing.T) {
			s := e.register(t, "s@example.com")
			require.Equal(t, 200, e.post(t, "/admin/users/"+s+"/suspend", map[string]any{"reason": "x"}, e2eBearer(e.admin)...).Status)
			refused(t, e.admin, s, 403, "ACCOUNT_SUSPENDED", "")
			l := e.register(t, "l@example.com")
			require.Equal(t, 204, e.post(t, "/admin/users/"+l+"/lock", nil, e2eBearer(e.admin)...).Status)
			refused(t, e.admin, l, 423, "ACCOUNT_LOCKED", "")
			d := e.register(t, "d@example.com")
			require.Equal(t, 204, e.do(t, "DELETE", "/admin/users/"+d, nil, e2eBearer(e.admin)...).Status)
			refused(t, e.admin, d, 403, "ACCOUNT_DELETED", "")
		})
		t.Run("WithoutPermission", func(t *testing.T) {
			refused(t, e.moderator, e.userID, 403, "PERMISSION_DENIED", "ADMIN_ACCESS")
		})
	})
}

func TestAdminImpersonationTTLOption(t *testing.T) {
	e := &adminEnv{rbacEnv: newRBACEnv(t, nil, usermgmt.WithImpersonationTTL(2*time.Minute))}
	r := e.impersonate(t, e.admin, e.userID)
	require.Equal(t, 200, r.Status, r.String())
	assert.Equal(t, float64(120), r.JSON(t)["expiresIn"])

	for _, d := range []time.Duration{-time.Second, time.Millisecond, 16 * time.Minute} {
		_, err := usermgmt.New(dbtest.SQLite(t), usermgmt.WithImpersonationTTL(d))
		require.Error(t, err, d)
		assert.Contains(t, err.Error(), "WithImpersonationTTL")
	}
}
