package usermgmt_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestE2ENotificationRoutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newRBACEnv(t, st)
		system := store.NewContextWithActor(context.Background(), store.SystemActor)
		for _, title := range []string{"first", "second"} {
			_, err := e.m.Notifications().Create(system, e.userID, notify.Notice{Type: "billing.invoice_ready", Title: title, Data: map[string]string{"n": title}})
			require.NoError(t, err)
		}
		_, err := e.m.Notifications().Create(system, e.adminID, notify.Notice{Type: "billing.invoice_ready", Title: "admin's"})
		require.NoError(t, err)
		user, admin := e2eBearer(e.user), e2eBearer(e.admin)

		r := e.get(t, "/notifications", user...)
		require.Equal(t, http.StatusOK, r.Status, r.String())
		body := r.JSON(t)
		assert.Equal(t, float64(2), body["unreadCount"])
		assert.Contains(t, body, "nextCursor")
		items := body["items"].([]any)
		require.Len(t, items, 2)
		newest := items[0].(map[string]any)
		assert.Equal(t, "second", newest["title"])
		for _, k := range []string{"id", "type", "title", "body", "data", "read", "readAt", "createdAt"} {
			assert.Contains(t, newest, k)
		}
		assert.Nil(t, newest["readAt"])
		assert.Nil(t, newest["body"], "no body is null")
		id := newest["id"].(string)

		t.Run("AnotherUsersID", func(t *testing.T) {
			e2eCheckProblem(t, e.do(t, "PATCH", "/notifications/"+id+"/read", nil, admin...), http.StatusNotFound, "NOTIFICATION_NOT_FOUND")
			e2eCheckProblem(t, e.do(t, "DELETE", "/notifications/"+id, nil, admin...), http.StatusNotFound, "NOTIFICATION_NOT_FOUND")
			e2eCheckProblem(t, e.do(t, "PATCH", "/notifications/nope/read", nil, user...), http.StatusNotFound, "NOTIFICATION_NOT_FOUND")
		})
		t.Run("Unauthenticated", func(t *testing.T) {
			e2eCheckProblem(t, e.get(t, "/notifications"), http.StatusUnauthorized, "UNAUTHENTICATED")
			e2eCheckProblem(t, e.get(t, "/notifications?unread=yes", user...), http.StatusBadRequest, "VALIDATION_FAILED")
		})
		t.Run("ReadOneThenAll", func(t *testing.T) {
			r := e.do(t, "PATCH", "/notifications/"+id+"/read", nil, user...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			assert.Equal(t, true, r.JSON(t)["read"])
			assert.NotNil(t, r.JSON(t)["readAt"])
			r = e.get(t, "/notifications?unread=true", user...)
			require.Equal(t, http.StatusOK, r.Status)
			assert.Len(t, r.JSON(t)["items"], 1)
			assert.Equal(t, float64(1), r.JSON(t)["unreadCount"])
			r = e.do(t, "PATCH", "/notifications/read-all", nil, user...)
			require.Equal(t, http.StatusOK, r.Status, r.String())
			assert.Equal(t, map[string]any{"updated": float64(1)}, r.JSON(t))
		})
		t.Run("Delete", func(t *testing.T) {
			require.Equal(t, http.StatusNoContent, e.do(t, "DELETE", "/notifications/"+id, nil, user...).Status)
			e2eCheckProblem(t, e.do(t, "DELETE", "/notifications/"+id, nil, user...), http.StatusNotFound, "NOTIFICATION_NOT_FOUND")
			require.Equal(t, http.StatusNoContent, e.do(t, "DELETE", "/notifications", nil, user...).Status)
			assert.Empty(t, e.get(t, "/notifications", user...).JSON(t)["items"])
			assert.Len(t, e.get(t, "/notifications", admin...).JSON(t)["items"], 1, "the admin's stay")
		})
	})
}
