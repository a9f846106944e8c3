package notify

import (
	"context"
	"errors"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// FeedBatch caps how many notifications one Feed.Next returns.
const FeedBatch = 100

// feedSort is the order a Feed walks: oldest first.
var feedSort = store.Sort{Field: "createdAt"}

// FeedItem is one new notification and the id that resumes a feed after
// it (an SSE event id).
type FeedItem struct {
	ID string
	store.Notification
}

// Feed follows one user's new notifications, for a live stream. Wake
// signals at once when this process creates a notification for the user
// or changes the user or their sessions (so that the stream can check it
// may go on); notifications written by other instances are found by
// calling Next at an interval. A Feed is for one goroutine.
type Feed struct {
	st     store.Store
	uid    string
	cursor string
	wake   chan struct{}
	cancel func()
}

// Follow starts a Feed of the actor's notifications created after the one
// lastID names (an ID an earlier Feed gave, such as an SSE Last-Event-ID),
// or after the newest one there is when lastID is empty. A lastID no feed
// gave is a Validation naming "Last-Event-ID". Close the Feed when done.
func (c *Center) Follow(ctx context.Context, lastID string) (*Feed, error) {
	uid, err := userOf(ctx)
	if err != nil {
		return nil, err
	}
	actor, _ := store.ActorFromContext(ctx)
	f := &Feed{st: c.st, uid: uid, cursor: lastID, wake: make(chan struct{}, 1)}
	// Subscribe before looking: a notification created in between wakes
	// the feed instead of being missed.
	f.cancel = c.st.Subscribe(func(ch store.Change) {
		mine := ch.UserID == uid || (ch.SessionID != "" && ch.SessionID == actor.SessionID) || ch.Kind == store.RolesChanged
		if !mine {
			return
		}
		select {
		case f.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	})
	if err := f.start(ctx); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Feed) start(ctx context.Context) error {
	if f.cursor != "" {
		_, err := f.st.Notifications().List(ctx, f.uid, store.NotificationFilter{}, store.ListRequest{Limit: 1, Sort: feedSort, Cursor: f.cursor})
		if errors.Is(err, store.ErrValidation) {
			return store.Validation(store.FieldError{Field: "Last-Event-ID", Message: "is not an event id this stream gave"})
		}
		return err
	}
	p, err := f.st.Notifications().List(ctx, f.uid, store.NotificationFilter{}, store.ListRequest{Limit: 1, Sort: store.Sort{Field: "createdAt", Desc: true}})
	if err != nil || len(p.Items) == 0 {
		return err
	}
	f.cursor = itemID(p.Items[0])
	return nil
}

// itemID is the feed position just after n.
func itemID(n store.Notification) string {
	key := n.CreatedAt.UTC().Format(time.RFC3339Nano)
	return store.Cursor{Sort: feedSort, Key: &key, ID: n.ID}.Encode()
}

// Wake receives a value when something for the feed's user changed in
// this process.
func (f *Feed) Wake() <-chan struct{} { return f.wake }

// Next returns the notifications created since the last call (at most
// FeedBatch; call again while it returns that many), oldest first, and
// moves the feed past them.
func (f *Feed) Next(ctx context.Context) ([]FeedItem, error) {
	p, err := f.st.Notifications().List(ctx, f.uid, store.NotificationFilter{}, store.ListRequest{Limit: FeedBatch, Sort: feedSort, Cursor: f.cursor})
	if err != nil {
		return nil, err
	}
	out := make([]FeedItem, len(p.Items))
	for i, n := range p.Items {
		out[i] = FeedItem{ID: itemID(n), Notification: n}
	}
	if len(out) > 0 {
		f.cursor = out[len(out)-1].ID
	}
	return out, nil
}

// Close stops the feed's wake-ups.
func (f *Feed) Close() { f.cancel() }
