package store

import (
	"context"
	"time"
)

// Notification is an in-app message to one user.
type Notification struct {
	ID        string
	UserID    string
	Type      string
	Title     string
	Body      string
	Data      map[string]string
	ReadAt    *time.Time
	CreatedAt time.Time
}

// NotificationFilter selects a user's notifications.
type NotificationFilter struct {
	// UnreadOnly leaves out notifications that were read.
	UnreadOnly bool
}

// NotificationStore persists in-app notifications.
type NotificationStore interface {
	// Create inserts n, assigning an ID when n.ID is empty.
	Create(ctx context.Context, n *Notification) error
	// List returns one page of the user's notifications matching f. It
	// sorts by "createdAt", newest first by default (ties by id); another
	// sort field is a Validation naming "sort".
	List(ctx context.Context, userID string, f NotificationFilter, r ListRequest) (Page[Notification], error)
	// CountUnread counts the user's unread notifications.
	CountUnread(ctx context.Context, userID string) (int, error)
	// MarkRead marks one notification of the user read and returns it;
	// ErrNotificationNotFound when the user has no such notification.
	MarkRead(ctx context.Context, userID, id string, at time.Time) (*Notification, error)
	// MarkAllRead marks every unread notification of the user read.
	MarkAllRead(ctx context.Context, userID string, at time.Time) (int, error)
	// Delete deletes one notification of the user; ErrNotificationNotFound.
	Delete(ctx context.Context, userID, id string) error
	// DeleteAll deletes every notification of the user.
	DeleteAll(ctx context.Context, userID string) (int, error)
}
