package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type notificationModel struct {
	bun.BaseModel `bun:"table:notifications,alias:n"`

	ID        string            `bun:"id,pk"`
	UserID    string            `bun:"user_id"`
	Type      string            `bun:"type"`
	Title     string            `bun:"title"`
	Body      string            `bun:"body"`
	Data      map[string]string `bun:"data,type:text,nullzero"`
	ReadAt    *time.Time        `bun:"read_at"`
	CreatedAt time.Time         `bun:"created_at"`
}

func (m *notificationModel) notification() store.Notification {
	return store.Notification{ID: m.ID, UserID: m.UserID, Type: m.Type, Title: m.Title, Body: m.Body,
		Data: m.Data, ReadAt: m.ReadAt, CreatedAt: m.CreatedAt}
}

type notifications struct{ repos }

func (r notifications) Create(ctx context.Context, n *store.Notification) error {
	if n.ID == "" {
		n.ID = newID()
	}
	n.CreatedAt = utc(n.CreatedAt)
	m := &notificationModel{ID: n.ID, UserID: n.UserID, Type: n.Type, Title: n.Title, Body: n.Body,
		Data: n.Data, ReadAt: utcPtr(n.ReadAt), CreatedAt: n.CreatedAt}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	if foreignKeyViolation(err) || invalidInput(err) {
		return store.ErrUserNotFound.Wrap(err)
	}
	r.changedIf(err, store.Change{Kind: store.NotificationCreated, UserID: n.UserID})
	return translate(err, nil)
}

// notificationList offers a user's notifications newest first.
var notificationList = listSpec[notificationModel]{
	idCol: "n.id",
	def:   store.Sort{Field: "createdAt", Desc: true},
	sorts: map[string]sortKey[notificationModel]{
		"createdAt": {expr: "n.created_at", at: func(m *notificationModel) *time.Time { return &m.CreatedAt }},
	},
	id: func(m *notificationModel) string { return m.ID },
}

func (r notifications) List(ctx context.Context, userID string, f store.NotificationFilter, req store.ListRequest) (store.Page[store.Notification], error) {
	return listPage(ctx, r.db, req, notificationList,
		func(q *bun.SelectQuery) (*bun.SelectQuery, bool) {
			if !validID(userID) {
				return q, false
			}
			q = q.Where("n.user_id = ?", userID)
			if f.UnreadOnly {
				q = q.Where("n.read_at IS NULL")
			}
			return q, true
		},
		func(m *notificationModel) store.Notification { return m.notification() })
}

func (r notifications) CountUnread(ctx context.Context, userID string) (int, error) {
	if !validID(userID) {
		return 0, nil
	}
	n, err := r.db.NewSelect().Model((*notificationModel)(nil)).
		Where("user_id = ? AND read_at IS NULL", userID).Count(ctx)
	return n, translate(err, nil)
}

func (r notifications) MarkRead(ctx context.Context, userID, id string, at time.Time) (*store.Notification, error) {
	m := new(notificationModel)
	err := r.write(func() error {
		return r.db.NewUpdate().Model(m).
			Set("read_at = COALESCE(read_at, ?)", utc(at)).
			Where("id = ? AND user_id = ?", id, userID).Returning("*").Scan(ctx, m)
	})
	if err != nil {
		return nil, translate(err, store.ErrNotificationNotFound)
	}
	n := m.notification()
	return &n, nil
}

func (r notifications) MarkAllRead(ctx context.Context, userID string, at time.Time) (int, error) {
	if !validID(userID) {
		return 0, nil
	}
	var n int
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*notificationModel)(nil)).Set("read_at = ?", utc(at)).
			Where("user_id = ? AND read_at IS NULL", userID).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, translate(err, nil)
}

func (r notifications) Delete(ctx context.Context, userID, id string) error {
	err := r.write(func() error {
		res, err := r.db.NewDelete().Model((*notificationModel)(nil)).
			Where("id = ? AND user_id = ?", id, userID).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrNotificationNotFound)
	})
	return translate(err, store.ErrNotificationNotFound)
}

func (r notifications) DeleteAll(ctx context.Context, userID string) (int, error) {
	if !validID(userID) {
		return 0, nil
	}
	var n int
	err := r.write(func() error {
		res, err := r.db.NewDelete().Model((*notificationModel)(nil)).Where("user_id = ?", userID).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, translate(err, nil)
}
