package admin_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"strings"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// A bulk call answers per user: the last active administrator is kept,
// unknown ids are named.
func ExampleService_BulkDeactivate() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	m, err := usermgmt.New(st, usermgmt.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	adminRole, _ := st.Roles().ByName(ctx, store.RoleAdmin)
	var ids []string
	for _, email := range []string{"root@example.com", "ada@example.com"} {
		u := &store.User{Email: email}
		if err := st.Users().Create(ctx, u); err != nil {
			log.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	_ = st.Roles().Assign(ctx, ids[0], adminRole.ID, bulkNow)

	sys := store.NewContextWithActor(ctx, store.SystemActor)
	res, err := m.Admin().BulkDeactivate(sys, append(ids, "no-such-user"))
	fmt.Println(err, res.Succeeded)
	for _, f := range res.Failed {
		fmt.Println(f.ID == ids[0], f.Code)
	}
	// Output:
	// <nil> 1
	// false USER_NOT_FOUND
	// true LAST_ADMIN
}

// NewCSVSource reads an import file row by row; the header is line 1.
func ExampleNewCSVSource() {
	src, err := admin.NewCSVSource(strings.NewReader("email,roles,emailVerified\n" +
		"ada@example.com,moderator;user,yes\n" +
		"bob@example.com,,maybe\n"))
	if err != nil {
		log.Fatal(err)
	}
	for {
		row, err := src.Next()
		if err != nil {
			break
		}
		fmt.Println(row.Line, row.Email, row.Roles, row.EmailVerified, row.Invalid != nil)
	}
	// Output:
	// 2 ada@example.com [moderator user] true false
	// 3 bob@example.com [] false true
}
