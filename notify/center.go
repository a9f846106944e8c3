package notify

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Center is the signed-in user's in-app notification inbox: list, mark
// read, delete. Each method acts on the user named by the actor in ctx
// (store.ActorFromContext), so nobody reaches another user's
// notifications: another user's id is ErrNotificationNotFound, as if it
// did not exist. Create is for the host's own code.
type Center struct {
	st    store.Store
	now   func() time.Time
	inApp *InApp
}

// NewCenter returns a Center on st using now as its clock (time.Now when
// nil).
func NewCenter(st store.Store, now func() time.Time) *Center {
	if now == nil {
		now = time.Now
	}
	return &Center{st: st, now: now, inApp: NewInApp(now)}
}

// Inbox is one page of a user's notifications and how many are unread
// in all.
type Inbox struct {
	store.Page[store.Notification]
	Unread int
}

// userOf returns the user the actor in ctx is; a context without one, or
// with the system actor (who has no inbox), is ErrUnauthenticated.
func userOf(ctx context.Context) (string, error) {
	a, ok := store.ActorFromContext(ctx)
	if !ok || a.UserID == "" {
		return "", store.ErrUnauthenticated
	}
	return a.UserID, nil
}

// List returns one page of the actor's notifications matching f, newest
// first, with the unread count.
func (c *Center) List(ctx context.Context, f store.NotificationFilter, r store.ListRequest) (Inbox, error) {
	uid, err := userOf(ctx)
	if err != nil {
		return Inbox{}, err
	}
	p, err := c.st.Notifications().List(ctx, uid, f, r)
	if err != nil {
		return Inbox{}, err
	}
	n, err := c.st.Notifications().CountUnread(ctx, uid)
	return Inbox{Page: p, Unread: n}, err
}

// MarkRead marks one of the actor's notifications read (keeping the first
// read time) and returns it.
func (c *Center) MarkRead(ctx context.Context, id string) (*store.Notification, error) {
	uid, err := userOf(ctx)
	if err != nil {
		return nil, err
	}
	return c.st.Notifications().MarkRead(ctx, uid, id, c.now().UTC())
}

// MarkAllRead marks every unread notification of the actor read and
// returns how many.
func (c *Center) MarkAllRead(ctx context.Context) (int, error) {
	uid, err := userOf(ctx)
	if err != nil {
		return 0, err
	}
	return c.st.Notifications().MarkAllRead(ctx, uid, c.now().UTC())
}

// Delete deletes one of the actor's notifications.
func (c *Center) Delete(ctx context.Context, id string) error {
	uid, err := userOf(ctx)
	if err != nil {
		return err
	}
	return c.st.Notifications().Delete(ctx, uid, id)
}

// DeleteAll deletes every notification of the actor and returns how many.
func (c *Center) DeleteAll(ctx context.Context) (int, error) {
	uid, err := userOf(ctx)
	if err != nil {
		return 0, err
	}
	return c.st.Notifications().DeleteAll(ctx, uid)
}

// typeRE is the shape of a notification type: dot-separated lower-case
// words, at least two ("billing.invoice_ready").
var typeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// ReservedTypePrefix starts the types the library itself creates
// (security notices); Create refuses them so that no host code can forge
// one.
const ReservedTypePrefix = "security."

// Create gives userID a notification of the host's own, unless the user
// turned in-app notices off; it reports whether it created one. It needs
// store.SystemActor in ctx: a host's trusted code, not a user, sends
// notices. n.Type is dot-separated lower-case words naming the host's area
// first ("billing.invoice_ready"), never starting with "security."; Title
// is required; Data holds small facts for a client, never secrets.
func (c *Center) Create(ctx context.Context, userID string, n Notice) (bool, error) {
	if a, ok := store.ActorFromContext(ctx); !ok || !a.System {
		if !ok {
			return false, store.ErrUnauthenticated
		}
		return false, store.ErrPermissionDenied
	}
	var fields []store.FieldError
	if !typeRE.MatchString(n.Type) || strings.HasPrefix(n.Type, ReservedTypePrefix) {
		fields = append(fields, store.FieldError{Field: "type",
			Message: `must be dot-separated lower-case words such as "billing.invoice_ready", not starting with "security."`})
	}
	if strings.TrimSpace(n.Title) == "" {
		fields = append(fields, store.FieldError{Field: "title", Message: "is required"})
	}
	if len(fields) > 0 {
		return false, store.Validation(fields...)
	}
	var created bool
	err := c.st.InTx(ctx, func(tx store.Repos) error {
		var err error
		created, err = c.inApp.Notify(ctx, tx, userID, n)
		return err
	})
	return created, err
}
