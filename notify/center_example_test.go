package notify_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// The host's own code sends a notice of its own type as the system
// actor; the user reads their inbox with themself as the actor.
func ExampleCenter_Create() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	now := func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }
	u := &store.User{Email: "ada@example.com", Preferences: store.DefaultPreferences(), CreatedAt: now(), UpdatedAt: now()}
	if err := st.Users().Create(ctx, u); err != nil {
		log.Fatal(err)
	}
	c := notify.NewCenter(st, now)

	host := store.NewContextWithActor(ctx, store.SystemActor)
	created, err := c.Create(host, u.ID, notify.Notice{Type: "billing.invoice_ready", Title: "Your invoice is ready",
		Data: map[string]string{"invoice": "2030-001"}})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Create(host, u.ID, notify.Notice{Type: "security.fake", Title: "Forged"})
	fmt.Println(created, err != nil)

	ada := store.NewContextWithActor(ctx, store.Actor{UserID: u.ID})
	inbox, err := c.List(ada, store.NotificationFilter{}, store.ListRequest{})
	if err != nil {
		log.Fatal(err)
	}
	n := inbox.Items[0]
	fmt.Println(inbox.Unread, n.Type, n.Title, n.Data["invoice"])
	// Output:
	// true true
	// 1 billing.invoice_ready Your invoice is ready 2030-001
}
