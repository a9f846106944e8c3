package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Notice is an in-app notification to create for one user. Type is a
// stable name ("security.new_device", or a host's own); Data holds small
// facts for a client, never secrets.
type Notice struct {
	Type  string
	Title string
	Body  string
	Data  map[string]string
}

// InApp creates in-app notifications in the caller's transaction, so that
// a notice exists exactly when the change it reports does, and only when
// the user's preferences keep in-app notices on.
type InApp struct {
	now func() time.Time
}

// NewInApp returns an InApp using now as its clock (time.Now when nil).
func NewInApp(now func() time.Time) *InApp {
	if now == nil {
		now = time.Now
	}
	return &InApp{now: now}
}

// Notify creates n for userID through tx unless the user turned in-app
// notices off (Preferences.NotifyInApp). It reports whether it created
// one.
func (a *InApp) Notify(ctx context.Context, tx store.Repos, userID string, n Notice) (bool, error) {
	u, err := tx.Users().ByID(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("notify: in-app %s: %w", n.Type, err)
	}
	if !u.Preferences.NotifyInApp {
		return false, nil
	}
	row := store.Notification{UserID: userID, Type: n.Type, Title: n.Title, Body: n.Body,
		Data: n.Data, CreatedAt: a.now().UTC()}
	if err := tx.Notifications().Create(ctx, &row); err != nil {
		return false, fmt.Errorf("notify: in-app %s: %w", n.Type, err)
	}
	return true, nil
}
