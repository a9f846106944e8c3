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

// The audit row is written in the same transaction as the change it
// describes; request facts come from the context.
func ExampleLog_Record() {
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
	l := audit.New(st, now)
	ctx = store.NewContextWithRequest(ctx, store.Request{ID: "req-1", IP: "203.0.113.7"})

	err = st.InTx(ctx, func(tx store.Repos) error {
		u := &store.User{Email: "ada@example.com", CreatedAt: now(), UpdatedAt: now()}
		if err := tx.Users().Create(ctx, u); err != nil {
			return err
		}
		return l.Record(ctx, tx, audit.Entry{Action: "user.create", TargetID: u.ID})
	})
	if err != nil {
		log.Fatal(err)
	}
	page, _ := l.List(ctx, store.AuditFilter{Action: "user.create"}, store.ListRequest{Limit: 10})
	e := page.Items[0]
	fmt.Println(e.Action, e.Outcome, e.IP, e.RequestID, e.CreatedAt.Format(time.RFC3339))
	// Output: user.create success 203.0.113.7 req-1 2030-01-02T03:04:05Z
}
