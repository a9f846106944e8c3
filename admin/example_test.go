package admin_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Host code creates an invited user, suspends them and finds them again
// with the list's filters, as the trusted system actor. An administrator's
// request does the same with their own actor in the context, and meets
// the permission checks.
func Example() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	quiet := notify.MailerFunc(func(context.Context, notify.Message) error { return nil })
	m, err := usermgmt.New(st, usermgmt.WithMailer(quiet), usermgmt.WithHasher(auth.Bcrypt{Cost: 4}))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if err := m.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	sys := store.NewContextWithActor(ctx, store.SystemActor)

	u, err := m.Admin().Create(sys, admin.NewUser{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Email, u.Roles, "has a password:", u.PasswordHash != "")

	if _, err := m.Admin().Suspend(sys, u.ID, admin.Suspension{Reason: "chargeback"}); err != nil {
		log.Fatal(err)
	}
	page, err := m.Admin().List(sys, admin.UserFilter{Q: "hopper", Status: store.StatusSuspended}, store.ListRequest{})
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range page.Items {
		fmt.Println(it.Email, it.Status, it.SuspendedReason)
	}

	// Without an actor in the context nothing is allowed.
	_, err = m.Admin().User(ctx, u.ID)
	fmt.Println(errors.Is(err, store.ErrUnauthenticated))
	// Output:
	// grace@example.com [user] has a password: false
	// grace@example.com suspended chargeback
	// true
}
