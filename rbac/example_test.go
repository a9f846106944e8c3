package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func ExamplePermissions() {
	for _, p := range rbac.Permissions()[:3] {
		fmt.Println(p.Name)
	}
	fmt.Println(rbac.Valid("AUDIT_READ"), rbac.Valid("GOD_MODE"))
	// Output:
	// USER_READ
	// USER_CREATE
	// USER_UPDATE
	// true false
}

// The actor of a change comes from the context: the host's own code acts
// as store.SystemActor, a request as the user it serves. A moderator
// holds no ROLE_ASSIGN, and nobody hands out what they lack.
func ExampleService_Assign() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	svc := rbac.New(st, audit.New(st, nil), nil)
	mod := &store.User{Email: "mod@example.com", CreatedAt: now, UpdatedAt: now}
	if err := st.Users().Create(ctx, mod); err != nil {
		log.Fatal(err)
	}
	modRole, _ := st.Roles().ByName(ctx, store.RoleModerator)
	adminRole, _ := st.Roles().ByName(ctx, store.RoleAdmin)

	roles, err := svc.Assign(store.NewContextWithActor(ctx, store.SystemActor), mod.ID, modRole.ID)
	fmt.Println(err, roles[0].Name, roles[0].UserCount)
	_, err = svc.Assign(store.NewContextWithActor(ctx, store.Actor{UserID: mod.ID}), mod.ID, adminRole.ID)
	fmt.Println(errors.Is(err, store.ErrPermissionDenied))
	_, err = svc.Assign(ctx, mod.ID, adminRole.ID)
	fmt.Println(errors.Is(err, store.ErrUnauthenticated))
	// Output:
	// <nil> moderator 1
	// true
	// true
}
