package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newInboxUser(t *testing.T, st store.Store, email string, inApp bool) (string, context.Context) {
	t.Helper()
	u := &store.User{Email: email, Status: store.StatusActive, Preferences: store.DefaultPreferences(), CreatedAt: t0, UpdatedAt: t0}
	u.Preferences.NotifyInApp = inApp
	require.NoError(t, st.Users().Create(context.Background(), u))
	return u.ID, store.NewContextWithActor(context.Background(), store.Actor{UserID: u.ID})
}

var system = store.NewContextWithActor(context.Background(), store.SystemActor)

func TestCenter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		c := notify.NewCenter(st, func() time.Time { return t0 })
		ada, asAda := newInboxUser(t, st, "ada@example.com", true)
		bob, asBob := newInboxUser(t, st, "bob@example.com", true)
		for _, title := range []string{"one", "two", "three"} {
			ok, err := c.Create(system, ada, notify.Notice{Type: "billing.invoice_ready", Title: title, Data: map[string]string{"invoice": title}})
			require.NoError(t, err)
			require.True(t, ok)
		}
		_, err := c.Create(system, bob, notify.Notice{Type: "billing.invoice_ready", Title: "bob's"})
		require.NoError(t, err)

		inbox, err := c.List(asAda, store.NotificationFilter{}, store.ListRequest{Limit: 10})
		require.NoError(t, err)
		require.Len(t, inbox.Items, 3)
		assert.Equal(t, 3, inbox.Unread)
		first := inbox.Items[0]

		t.Run("AnotherUsersIDIsNotFound", func(t *testing.T) {
			_, err := c.MarkRead(asBob, first.ID)
			assert.ErrorIs(t, err, store.ErrNotificationNotFound)
			assert.ErrorIs(t, c.Delete(asBob, first.ID), store.ErrNotificationNotFound)
			_, err = c.MarkRead(asBob, "not-an-id")
			assert.ErrorIs(t, err, store.ErrNotificationNotFound)
			assert.ErrorIs(t, c.Delete(asBob, "not-an-id"), store.ErrNotificationNotFound)
		})
		t.Run("MarkRead", func(t *testing.T) {
			n, err := c.MarkRead(asAda, first.ID)
			require.NoError(t, err)
			require.NotNil(t, n.ReadAt)
			assert.True(t, t0.Equal(*n.ReadAt))
			unread, err := c.List(asAda, store.NotificationFilter{UnreadOnly: true}, store.ListRequest{Limit: 10})
			require.NoError(t, err)
			assert.Len(t, unread.Items, 2)
			assert.Equal(t, 2, unread.Unread)
		})
		t.Run("MarkAllRead", func(t *testing.T) {
			n, err := c.MarkAllRead(asAda)
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			n, err = c.MarkAllRead(asAda)
			require.NoError(t, err)
			assert.Zero(t, n)
		})
		t.Run("DeleteAndDeleteAll", func(t *testing.T) {
			require.NoError(t, c.Delete(asAda, first.ID))
			assert.ErrorIs(t, c.Delete(asAda, first.ID), store.ErrNotificationNotFound)
			n, err := c.DeleteAll(asAda)
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			left, err := c.List(asBob, store.NotificationFilter{}, store.ListRequest{})
			require.NoError(t, err)
			assert.Len(t, left.Items, 1, "bob's stay")
		})
		t.Run("NeedsAUser", func(t *testing.T) {
			_, err := c.List(context.Background(), store.NotificationFilter{}, store.ListRequest{})
			assert.ErrorIs(t, err, store.ErrUnauthenticated)
			_, err = c.MarkAllRead(system)
			assert.ErrorIs(t, err, store.ErrUnauthenticated, "the system actor has no inbox")
		})
	})
}

func TestCenterCreate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		c := notify.NewCenter(st, func() time.Time { return t0 })
		ada, asAda := newInboxUser(t, st, "ada@example.com", true)
		quiet, _ := newInboxUser(t, st, "quiet@example.com", false)
		cases := []struct {
			name string
			ctx  context.Context
			user string
			n    notify.Notice
			want error
		}{
			{"OK", system, ada, notify.Notice{Type: "billing.invoice_ready", Title: "Invoice"}, nil},
			{"NoActor", context.Background(), ada, notify.Notice{Type: "billing.x", Title: "x"}, store.ErrUnauthenticated},
			{"UserActor", asAda, ada, notify.Notice{Type: "billing.x", Title: "x"}, store.ErrPermissionDenied},
			{"ReservedType", system, ada, notify.Notice{Type: "security.new_device", Title: "x"}, store.ErrValidation},
			{"OneWordType", system, ada, notify.Notice{Type: "billing", Title: "x"}, store.ErrValidation},
			{"UpperCaseType", system, ada, notify.Notice{Type: "Billing.X", Title: "x"}, store.ErrValidation},
			{"NoTitle", system, ada, notify.Notice{Type: "billing.x"}, store.ErrValidation},
			{"UnknownUser", system, "0190a000-0000-7000-8000-00000000dead", notify.Notice{Type: "billing.x", Title: "x"}, store.ErrUserNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.Create(tc.ctx, tc.user, tc.n)
				if tc.want == nil {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, tc.want)
				}
			})
		}
		t.Run("InAppOff", func(t *testing.T) {
			ok, err := c.Create(system, quiet, notify.Notice{Type: "billing.x", Title: "x"})
			require.NoError(t, err)
			assert.False(t, ok)
			n, err := st.Notifications().CountUnread(context.Background(), quiet)
			require.NoError(t, err)
			assert.Zero(t, n)
		})
	})
}
