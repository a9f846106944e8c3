// Command datagen loads generated users into a database for benchmarks
// and load scripts (package internal/datagen says what they look like):
//
//	go run ./scripts/datagen -dsn postgres://... -n 1000000
//	go run ./scripts/datagen -dsn sqlite://bench.db -n 100000
//
// The database is migrated first and must not hold generated users yet.
// Every account signs in with the password it prints.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/usermgmt/usermgmt/internal/datagen"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("DATABASE_URL"), "postgres://... or sqlite://PATH (default $DATABASE_URL)")
	n := flag.Int("n", 100000, "how many users")
	seed := flag.Uint64("seed", 1, "varies everything but addresses and usernames")
	flag.Parse()
	if err := run(*dsn, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
}

func run(dsn string, n int, seed uint64) error {
	if dsn == "" {
		return fmt.Errorf("no -dsn and no DATABASE_URL")
	}
	ctx := context.Background()
	st, err := bunstore.Open(ctx, withReadTimeout(dsn))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	res, err := datagen.Load(ctx, st, datagen.Config{Users: n, Seed: seed})
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d users (%d admins, %d moderators, %d with 2FA, %d sessions) in %s; password %q\n",
		res.Users, res.Admins, res.Moderators, res.TwoFactor, res.Sessions, res.Elapsed.Round(1e6), res.Password)
	return nil
}

// withReadTimeout gives a PostgreSQL DSN without a read timeout one long
// enough for the index builds after the COPY.
func withReadTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	if q.Get("read_timeout") == "" {
		q.Set("read_timeout", "15m")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
