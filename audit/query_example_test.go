package audit_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Analytics counts sign-ins, failures, sign-ups and active users per
// bucket; empty buckets are present with zeros. The permission check is
// the host's (usermgmt wires rbac's); this one lets the system actor in.
func ExampleQuery_Analytics() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2030, 1, d, 12, 0, 0, 0, time.UTC) }
	l := audit.New(st, func() time.Time { return day(3) })
	q, err := audit.NewQuery(l, func(ctx context.Context, perm, action, target string) error {
		if a, ok := store.ActorFromContext(ctx); ok && a.System {
			return nil
		}
		return store.ErrPermissionDenied
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range []store.AuditEntry{
		{ActorID: "0190a000-0000-7000-8000-000000000001", Action: "auth.register", Outcome: store.OutcomeSuccess, CreatedAt: day(1)},
		{ActorID: "0190a000-0000-7000-8000-000000000001", Action: "auth.login", Outcome: store.OutcomeSuccess, CreatedAt: day(1)},
		{Action: "auth.login", Outcome: store.OutcomeFailure, CreatedAt: day(3)},
	} {
		if err := st.Audit().Record(ctx, &e); err != nil {
			log.Fatal(err)
		}
	}
	ctx = store.NewContextWithActor(ctx, store.SystemActor)
	a, err := q.Analytics(ctx, audit.Window{From: day(1), To: day(3)}, audit.Day)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range a.Buckets {
		fmt.Println(b.Start.Format("Jan 2"), b.SuccessfulLogins, b.FailedLogins, b.SignUps, b.ActiveUsers)
	}
	// Output:
	// Jan 1 1 0 1 1
	// Jan 2 0 0 0 0
	// Jan 3 0 1 0 0
}
