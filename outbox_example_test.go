package usermgmt_test

import (
	"context"
	"fmt"
	"log"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// A host reacts to changes of its users with an event handler. Events are
// delivered after the commit, at least once: the handler deduplicates on
// the event's ID. m.Run delivers them in a real host; here one
// Outbox().Deliver call does.
func ExampleWithEventHandler() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	seen := map[string]bool{}
	onEvent := events.HandlerFunc(func(ctx context.Context, e events.Event) error {
		if seen[e.ID] {
			return nil // a redelivery
		}
		seen[e.ID] = true
		switch p := e.Payload.(type) {
		case events.UserCreated:
			fmt.Println(e.Name, "by", p.Method)
		case events.UserUpdated:
			fmt.Println(e.Name, p.Fields)
		}
		return nil
	})
	m, err := usermgmt.New(st, usermgmt.WithEventHandler(onEvent),
		usermgmt.WithMailer(notify.MailerFunc(func(context.Context, notify.Message) error { return nil })),
		usermgmt.WithHasher(auth.Bcrypt{Cost: 4}))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if err := m.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := m.Auth().Register(ctx, auth.Registration{Email: "ada@example.com", Password: "correct horse battery staple"}); err != nil {
		log.Fatal(err)
	}
	if _, err := m.Outbox().Deliver(ctx); err != nil {
		log.Fatal(err)
	}
	// Output: user.created by register
}
