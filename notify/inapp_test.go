package notify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestInAppNotifyFollowsPreferences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		inApp := notify.NewInApp(func() time.Time { return now })
		cases := []struct {
			name  string
			inApp bool
			want  int
		}{
			{"on", true, 1},
			{"off", false, 0},
		}
		for _, c := range cases {
			u := &store.User{Email: c.name + "@example.com", Status: store.StatusActive, Preferences: store.DefaultPreferences()}
			u.Preferences.NotifyInApp = c.inApp
			require.NoError(t, st.Users().Create(ctx, u))
			created, err := inApp.Notify(ctx, st, u.ID, notify.Notice{Type: "security.test", Title: "t", Body: "b"})
			require.NoError(t, err)
			assert.Equal(t, c.want == 1, created, c.name)
			n, err := st.Notifications().CountUnread(ctx, u.ID)
			require.NoError(t, err)
			assert.Equal(t, c.want, n, c.name)
		}
	})
}

// A notice written in a transaction that rolls back is gone with it.
func TestInAppNotifyRollsBackWithTransaction(t *testing.T) {
	st := dbtest.SQLite(t)
	ctx := context.Background()
	u := &store.User{Email: "rb@example.com", Status: store.StatusActive, Preferences: store.DefaultPreferences()}
	require.NoError(t, st.Users().Create(ctx, u))
	boom := errors.New("boom")
	err := st.InTx(ctx, func(tx store.Repos) error {
		if _, err := notify.NewInApp(nil).Notify(ctx, tx, u.ID, notify.Notice{Type: "x", Title: "t", Body: "b"}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	n, err := st.Notifications().CountUnread(ctx, u.ID)
	require.NoError(t, err)
	assert.Zero(t, n)
}
