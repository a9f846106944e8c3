package sessions_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// A session's state is cached, yet a revocation shows at once: the store
// announces the change and the service drops what it knew.
func Example() {
	ctx := context.Background()
	st, done := exampleStore(ctx)
	defer done()
	now := time.Now().UTC()
	svc, err := sessions.New(sessions.Config{Store: st, Audit: audit.New(st, nil), Staleness: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()

	u := &store.User{Email: "ada@example.com"}
	if err := st.Users().Create(ctx, u); err != nil {
		log.Fatal(err)
	}
	phone := &store.Session{UserID: u.ID, DeviceName: "Safari on iPhone", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	laptop := &store.Session{UserID: u.ID, DeviceName: "Firefox on Linux", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, s := range []*store.Session{phone, laptop} {
		if err := st.Sessions().Create(ctx, s); err != nil {
			log.Fatal(err)
		}
	}
	live := func(s *store.Session) bool {
		state, err := svc.State(ctx, s.ID)
		if err != nil {
			log.Fatal(err)
		}
		return state.Active(time.Now())
	}
	fmt.Println("phone live:", live(phone), "laptop live:", live(laptop))

	// Sign out every other device, as "POST /sessions/revoke-all" does.
	ctx = store.NewContextWithActor(ctx, store.Actor{UserID: u.ID, SessionID: laptop.ID})
	n, err := svc.RevokeOthers(ctx, u.ID, laptop.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked:", n)
	fmt.Println("phone live:", live(phone), "laptop live:", live(laptop))
	// Output:
	// phone live: true laptop live: true
	// revoked: 1
	// phone live: false laptop live: true
}

// The user row is cached beside the session state, and a change this
// process writes shows in the next read.
func ExampleService_User() {
	ctx := context.Background()
	st, done := exampleStore(ctx)
	defer done()
	svc, err := sessions.New(sessions.Config{Store: st, Audit: audit.New(st, nil), Staleness: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	u := &store.User{Email: "ada@example.com", Bio: "mathematician"}
	if err := st.Users().Create(ctx, u); err != nil {
		log.Fatal(err)
	}
	bio := func() string {
		got, _, err := svc.User(ctx, u.ID) // from the cache once loaded
		if err != nil {
			log.Fatal(err)
		}
		return got.Bio
	}
	fmt.Println(bio())
	if _, err := st.Users().Update(ctx, u.ID, func(u *store.User) error { u.Bio = "analyst"; return nil }); err != nil {
		log.Fatal(err)
	}
	fmt.Println(bio())
	// Output:
	// mathematician
	// analyst
}

// exampleStore opens a migrated SQLite store in a temporary directory;
// done closes and removes it.
func exampleStore(ctx context.Context) (st *bunstore.Store, done func()) {
	dir, err := os.MkdirTemp("", "sessions-example")
	if err != nil {
		log.Fatal(err)
	}
	st, err = bunstore.Open(ctx, "sqlite://"+filepath.Join(dir, "users.db"))
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	return st, func() {
		st.Close()
		os.RemoveAll(dir)
	}
}
