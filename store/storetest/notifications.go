package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func notificationCases() []testCase {
	return []testCase{
		{"CreateAndList", testNotificationCreateAndList},
		{"CreateUnknownUser", testNotificationCreateUnknownUser},
		{"ListPaging", testNotificationListPaging},
		{"CountUnread", testNotificationCountUnread},
		{"MarkRead", testNotificationMarkRead},
		{"MarkAllRead", testNotificationMarkAllRead},
		{"Delete", testNotificationDelete},
		{"DeleteAll", testNotificationDeleteAll},
		{"OtherUsersID", testNotificationOtherUser},
	}
}

func newNotification(t *testing.T, st store.Repos, userID, title string, at time.Time) *store.Notification {
	t.Helper()
	n := &store.Notification{UserID: userID, Type: "security", Title: title, Body: "body of " + title, CreatedAt: at}
	require.NoError(t, st.Notifications().Create(ctx(t), n))
	require.NotEmpty(t, n.ID)
	return n
}

// notifications creates count notifications one minute apart, oldest
// first.
func notifications(t *testing.T, st store.Repos, userID string, count int) []*store.Notification {
	t.Helper()
	var ns []*store.Notification
	for i := range count {
		ns = append(ns, newNotification(t, st, userID, fmt.Sprintf("n%d", i), base.Add(time.Duration(i)*time.Minute)))
	}
	return ns
}

// listNotifications returns every notification of the user, newest first.
func listNotifications(t *testing.T, st store.Store, userID string, unreadOnly bool) ([]store.Notification, error) {
	t.Helper()
	p, err := st.Notifications().List(ctx(t), userID, store.NotificationFilter{UnreadOnly: unreadOnly}, store.ListRequest{Limit: store.MaxLimit})
	if err == nil {
		assert.Empty(t, p.NextCursor, "listNotifications: more than one page")
	}
	return p.Items, err
}

func notificationIDs(ns []store.Notification) []string {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	return ids
}

func newestFirst(ns []*store.Notification, idx ...int) []string {
	ids := make([]string, len(idx))
	for i, j := range idx {
		ids[i] = ns[j].ID
	}
	return ids
}

func countUnread(t *testing.T, st store.Store, userID string) int {
	t.Helper()
	n, err := st.Notifications().CountUnread(ctx(t), userID)
	require.NoError(t, err)
	return n
}

func testNotificationCreateAndList(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	n := &store.Notification{
		UserID: u.ID, Type: "role_assigned", Title: "New role", Body: "You are now a moderator ✓",
		Data: map[string]string{"role": "moderator", "by": "admin"}, CreatedAt: base.Add(9 * time.Microsecond),
	}
	require.NoError(t, st.Notifications().Create(ctx(t), n))
	_, err := uuid.Parse(n.ID)
	assert.NoError(t, err, "Create assigns a UUID")
	read := &store.Notification{UserID: u.ID, Type: "info", Title: "Read", Body: "b", ReadAt: ptr(base.Add(2 * time.Minute)), CreatedAt: base.Add(time.Minute)}
	require.NoError(t, st.Notifications().Create(ctx(t), read))
	newNotification(t, st, b.ID, "bob's", base)

	got, err := listNotifications(t, st, u.ID, false)
	require.NoError(t, err)
	require.Len(t, got, 2, "only the user's own")
	assert.Equal(t, []string{read.ID, n.ID}, notificationIDs(got), "newest first")

	g := got[1]
	assert.Equal(t, u.ID, g.UserID)
	assert.Equal(t, "role_assigned", g.Type)
	assert.Equal(t, "New role", g.Title)
	assert.Equal(t, "You are now a moderator ✓", g.Body)
	assert.Equal(t, n.Data, g.Data)
	assert.Nil(t, g.ReadAt)
	sameTime(t, n.CreatedAt, g.CreatedAt)
	sameTimePtr(t, read.ReadAt, got[0].ReadAt)
	assert.Empty(t, got[0].Data)
}

func testNotificationCreateUnknownUser(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		n := &store.Notification{UserID: id, Type: "x", Title: "x", Body: "x", CreatedAt: base}
		isErr(t, st.Notifications().Create(ctx(t), n), store.ErrUserNotFound, id)
	}
}

func testNotificationListPaging(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	ns := notifications(t, st, u.ID, 7)
	// Two more at the same instant as ns[3]: ties are broken by id.
	ns = append(ns, newNotification(t, st, u.ID, "tie1", ns[3].CreatedAt), newNotification(t, st, u.ID, "tie2", ns[3].CreatedAt))
	notifications(t, st, b.ID, 3)
	c := ctx(t)
	for _, i := range []int{1, 4, 5, 8} {
		_, err := st.Notifications().MarkRead(c, u.ID, ns[i].ID, base.Add(time.Hour))
		require.NoError(t, err)
	}
	list := func(userID string, f store.NotificationFilter) listFunc[store.Notification] {
		return func(r store.ListRequest) (store.Page[store.Notification], error) {
			return st.Notifications().List(c, userID, f, r)
		}
	}
	id := func(n store.Notification) string { return n.ID }
	sorted := append([]*store.Notification(nil), ns...)
	sort.Slice(sorted, func(i, j int) bool {
		if !sorted[i].CreatedAt.Equal(sorted[j].CreatedAt) {
			return sorted[i].CreatedAt.Before(sorted[j].CreatedAt)
		}
		return sorted[i].ID < sorted[j].ID
	})
	var asc, unreadAsc []string
	for _, n := range sorted {
		asc = append(asc, n.ID)
		if n.ID != ns[1].ID && n.ID != ns[4].ID && n.ID != ns[5].ID && n.ID != ns[8].ID {
			unreadAsc = append(unreadAsc, n.ID)
		}
	}
	newest := store.Sort{Field: "createdAt", Desc: true}
	listContract(t, list(u.ID, store.NotificationFilter{}), id, newest, reverse(asc))
	listContract(t, list(u.ID, store.NotificationFilter{}), id, store.Sort{Field: "createdAt"}, asc)
	listContract(t, list(u.ID, store.NotificationFilter{UnreadOnly: true}), id, newest, reverse(unreadAsc))

	got := all(t, list(u.ID, store.NotificationFilter{}))
	assert.Equal(t, reverse(asc), notificationIDs(got), "newest first by default, only the user's own")
	got = all(t, list(u.ID, store.NotificationFilter{UnreadOnly: true}))
	assert.Equal(t, reverse(unreadAsc), notificationIDs(got), "unread only")

	for _, id := range []string{missingID, badID} {
		p, err := st.Notifications().List(c, id, store.NotificationFilter{}, store.ListRequest{IncludeTotal: true})
		require.NoError(t, err, id)
		assert.Empty(t, p.Items, id)
		assert.NotNil(t, p.Items, id)
		if assert.NotNil(t, p.Total, id) {
			assert.Zero(t, *p.Total, id)
		}
		// A bare id is not a cursor: cursors are opaque.
		_, err = st.Notifications().List(c, u.ID, store.NotificationFilter{}, store.ListRequest{Cursor: id})
		isErr(t, err, store.ErrValidation, "cursor %q", id)
	}
}

func testNotificationCountUnread(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	assert.Zero(t, countUnread(t, st, u.ID))
	ns := notifications(t, st, u.ID, 4)
	notifications(t, st, b.ID, 2)
	assert.Equal(t, 4, countUnread(t, st, u.ID))
	_, err := st.Notifications().MarkRead(ctx(t), u.ID, ns[2].ID, base.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 3, countUnread(t, st, u.ID))
	assert.Equal(t, 2, countUnread(t, st, b.ID))
	for _, id := range []string{missingID, badID} {
		assert.Zero(t, countUnread(t, st, id), id)
	}
}

func testNotificationMarkRead(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	ns := notifications(t, st, u.ID, 2)
	at := base.Add(time.Hour)
	got, err := st.Notifications().MarkRead(ctx(t), u.ID, ns[0].ID, at)
	require.NoError(t, err)
	assert.Equal(t, ns[0].ID, got.ID)
	assert.Equal(t, u.ID, got.UserID)
	assert.Equal(t, "n0", got.Title)
	assert.Equal(t, "body of n0", got.Body)
	sameTime(t, ns[0].CreatedAt, got.CreatedAt)
	sameTimePtr(t, &at, got.ReadAt)

	again, err := st.Notifications().MarkRead(ctx(t), u.ID, ns[0].ID, at.Add(time.Hour))
	require.NoError(t, err, "marking a read notification read is not an error")
	assert.NotNil(t, again.ReadAt)

	list, err := listNotifications(t, st, u.ID, true)
	require.NoError(t, err)
	assert.Equal(t, []string{ns[1].ID}, notificationIDs(list))

	for _, id := range []string{missingID, badID} {
		_, err := st.Notifications().MarkRead(ctx(t), u.ID, id, at)
		isErr(t, err, store.ErrNotificationNotFound, id)
		isErr(t, err, store.ErrNotFound, id)
	}
}

func testNotificationMarkAllRead(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	ns := notifications(t, st, u.ID, 5)
	notifications(t, st, b.ID, 2)
	_, err := st.Notifications().MarkRead(ctx(t), u.ID, ns[1].ID, base)
	require.NoError(t, err)

	at := base.Add(time.Hour)
	n, err := st.Notifications().MarkAllRead(ctx(t), u.ID, at)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "only unread ones count")
	assert.Zero(t, countUnread(t, st, u.ID))
	assert.Equal(t, 2, countUnread(t, st, b.ID), "other users untouched")

	list, err := listNotifications(t, st, u.ID, false)
	require.NoError(t, err)
	for _, x := range list {
		if x.ID == ns[1].ID {
			sameTimePtr(t, &base, x.ReadAt, "an earlier read stands")
		} else {
			sameTimePtr(t, &at, x.ReadAt)
		}
	}

	n, err = st.Notifications().MarkAllRead(ctx(t), u.ID, at)
	require.NoError(t, err)
	assert.Zero(t, n)
	for _, id := range []string{missingID, badID} {
		n, err := st.Notifications().MarkAllRead(ctx(t), id, at)
		require.NoError(t, err, id)
		assert.Zero(t, n, id)
	}
}

func testNotificationDelete(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	ns := notifications(t, st, u.ID, 3)
	require.NoError(t, st.Notifications().Delete(ctx(t), u.ID, ns[1].ID))
	list, err := listNotifications(t, st, u.ID, false)
	require.NoError(t, err)
	assert.Equal(t, newestFirst(ns, 2, 0), notificationIDs(list))
	for _, id := range []string{ns[1].ID, missingID, badID} {
		err := st.Notifications().Delete(ctx(t), u.ID, id)
		isErr(t, err, store.ErrNotificationNotFound, id)
	}
}

func testNotificationDeleteAll(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	notifications(t, st, u.ID, 4)
	notifications(t, st, b.ID, 2)
	n, err := st.Notifications().DeleteAll(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	list, err := listNotifications(t, st, u.ID, false)
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Equal(t, 2, countUnread(t, st, b.ID), "other users untouched")
	n, err = st.Notifications().DeleteAll(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Zero(t, n)
	for _, id := range []string{missingID, badID} {
		n, err := st.Notifications().DeleteAll(ctx(t), id)
		require.NoError(t, err, id)
		assert.Zero(t, n, id)
	}
}

func testNotificationOtherUser(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	mine := newNotification(t, st, u.ID, "ada's", base)

	_, err := st.Notifications().MarkRead(ctx(t), b.ID, mine.ID, base.Add(time.Minute))
	isErr(t, err, store.ErrNotificationNotFound, "MarkRead by another user")
	err = st.Notifications().Delete(ctx(t), b.ID, mine.ID)
	isErr(t, err, store.ErrNotificationNotFound, "Delete by another user")
	for _, id := range []string{missingID, badID} {
		_, err := st.Notifications().MarkRead(ctx(t), id, mine.ID, base)
		isErr(t, err, store.ErrNotificationNotFound, "MarkRead as %q", id)
		isErr(t, st.Notifications().Delete(ctx(t), id, mine.ID), store.ErrNotificationNotFound, "Delete as %q", id)
	}

	list, err := listNotifications(t, st, u.ID, true)
	require.NoError(t, err)
	assert.Equal(t, []string{mine.ID}, notificationIDs(list), "still there and unread")
}
