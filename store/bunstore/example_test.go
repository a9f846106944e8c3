package bunstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Open a store, migrate it, and write in a transaction: the unique index
// decides email clashes in any letter case.
func ExampleOpen() {
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
	err = st.InTx(ctx, func(tx store.Repos) error {
		return tx.Users().Create(ctx, &store.User{Email: "ada@example.com", CreatedAt: now, UpdatedAt: now})
	})
	fmt.Println(err)
	err = st.Users().Create(ctx, &store.User{Email: "ADA@example.com", CreatedAt: now, UpdatedAt: now})
	fmt.Println(errors.Is(err, store.ErrEmailTaken), errors.Is(err, store.ErrConflict))
	// Output:
	// <nil>
	// true true
}
