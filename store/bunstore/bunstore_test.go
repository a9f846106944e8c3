package bunstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/store/storetest"
)

// TestConformance runs the suite on each database. The databases run in
// parallel with each other; the cases of one database run one by one.
func TestConformance(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		storetest.Run(t, func(t *testing.T) store.Store { return dbtest.SQLite(t) })
	})
	t.Run("sqlite-memory", func(t *testing.T) {
		t.Parallel()
		storetest.Run(t, func(t *testing.T) store.Store {
			st, err := bunstore.Open(t.Context(), "sqlite://:memory:")
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			require.NoError(t, st.Migrate(t.Context()))
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dbtest.PostgresDSN(t) // skip once, not once per case
		storetest.Run(t, func(t *testing.T) store.Store { return dbtest.Postgres(t) })
	})
}

// unreachable is a PostgreSQL URL where nothing listens.
const unreachable = "postgres://postgres@127.0.0.1:1/x?sslmode=disable"

func TestOpenUnknownScheme(t *testing.T) {
	for _, dsn := range []string{"", "mysql://root@localhost/db", "file:test.db", "sqlite:relative.db", "SQLITE://x.db", "http://example.com"} {
		st, err := bunstore.Open(t.Context(), dsn)
		assert.Error(t, err, "%q", dsn)
		assert.Nil(t, st, "%q", dsn)
	}
	_, err := bunstore.Open(t.Context(), "sqlite://")
	assert.Error(t, err, "sqlite:// needs a path")
}

func TestOpenUnreachablePostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, err := bunstore.Open(ctx, unreachable)
	require.Error(t, err)
	assert.Nil(t, st)
	assert.ErrorIs(t, err, store.ErrStoreUnavailable)
}

func TestPingUnreachablePostgres(t *testing.T) {
	// New does not connect, so the store exists and Ping is what notices.
	sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(unreachable), pgdriver.WithDialTimeout(2*time.Second)))
	st, err := bunstore.New(bun.NewDB(sqldb, pgdialect.New()))
	require.NoError(t, err)
	defer st.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = st.Ping(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, store.ErrStoreUnavailable)

	_, err = st.Users().ByID(ctx, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	assert.ErrorIs(t, err, store.ErrStoreUnavailable, "queries report the outage too")
	assert.False(t, errors.Is(err, store.ErrNotFound), "an outage is not a missing row")
}

// TestSQLiteSharedFile runs two stores on one SQLite file, as two
// processes would: each has its own writer lock, so they meet only in
// SQLite's locking, which must wait rather than fail.
func TestSQLiteSharedFile(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "shared.db")
	var stores [2]*bunstore.Store
	for i := range stores {
		st, err := bunstore.Open(t.Context(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	var wg sync.WaitGroup
	var migrateErrs [2]error
	for i, st := range stores {
		wg.Add(1)
		go func() { defer wg.Done(); migrateErrs[i] = st.Migrate(t.Context()) }()
	}
	wg.Wait()
	require.NoError(t, migrateErrs[0])
	require.NoError(t, migrateErrs[1])
	versions, builtIn := migrationRows(t, stores[0])
	assertOncePerVersion(t, versions)
	assert.Equal(t, 3, builtIn)

	const n = 50
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st := stores[i%2]
			email := fmt.Sprintf("u%d@example.com", i)
			if i%4 < 2 {
				errs[i] = st.Users().Create(t.Context(), &store.User{Email: email})
				return
			}
			errs[i] = st.InTx(t.Context(), func(tx store.Repos) error {
				u := &store.User{Email: email}
				if err := tx.Users().Create(t.Context(), u); err != nil {
					return err
				}
				return tx.Audit().Record(t.Context(), &store.AuditEntry{ActorID: u.ID, Action: "user.register", Outcome: store.OutcomeSuccess})
			})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "writer %d", i)
	}
	for i := range n {
		_, err := stores[(i+1)%2].Users().ByEmail(t.Context(), fmt.Sprintf("u%d@example.com", i))
		assert.NoError(t, err, "user %d seen by the other store", i)
	}
}

func TestPingClosedSQLite(t *testing.T) {
	st := dbtest.SQLite(t)
	require.NoError(t, st.Ping(t.Context()))
	require.NoError(t, st.Close())
	assert.Error(t, st.Ping(t.Context()))
}

// migrationRows returns the versions in schema_migrations, and how many
// built-in roles exist.
func migrationRows(t *testing.T, st *bunstore.Store) (versions []int, builtIn int) {
	t.Helper()
	err := st.DB().NewSelect().Table("schema_migrations").Column("version").Order("version").Scan(t.Context(), &versions)
	require.NoError(t, err)
	builtIn, err = st.DB().NewSelect().Table("roles").Where("built_in").Count(t.Context())
	require.NoError(t, err)
	return versions, builtIn
}

func assertOncePerVersion(t *testing.T, versions []int) {
	t.Helper()
	require.NotEmpty(t, versions)
	seen := map[int]bool{}
	for _, v := range versions {
		assert.False(t, seen[v], "version %d applied twice", v)
		seen[v] = true
	}
	assert.Equal(t, 1, versions[0], "the first migration is 0001")
}

func TestMigrateTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		before, builtIn := migrationRows(t, st)
		assertOncePerVersion(t, before)
		assert.Equal(t, 3, builtIn)
		u := &store.User{Email: "ada@example.com"}
		require.NoError(t, st.Users().Create(t.Context(), u))

		require.NoError(t, st.Migrate(t.Context()))
		require.NoError(t, st.Migrate(t.Context()))

		after, builtIn := migrationRows(t, st)
		assert.Equal(t, before, after, "nothing applied again")
		assert.Equal(t, 3, builtIn, "built-in roles not seeded twice")
		_, err := st.Users().ByID(t.Context(), u.ID)
		assert.NoError(t, err, "data survives")
	})
}

func TestMigrateConcurrent(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	ctx := t.Context()
	admin, err := bunstore.Open(ctx, dsn)
	require.NoError(t, err)
	defer admin.Close()
	schema := "t_migrate_" + strings.ToLower(rand.Text())
	_, err = admin.DB().ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.DB().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})

	// Several instances start at once on an empty schema.
	const n = 4
	stores := make([]*bunstore.Store, n)
	for i := range stores {
		st, err := bunstore.Open(ctx, dbtest.WithSearchPath(dsn, schema))
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = st.Migrate(ctx)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "instance %d", i)
	}

	versions, builtIn := migrationRows(t, stores[0])
	assertOncePerVersion(t, versions)
	assert.Equal(t, 3, builtIn, "built-in roles seeded once")
	require.NoError(t, stores[1].Migrate(ctx), "and again afterwards")
	again, _ := migrationRows(t, stores[2])
	assert.Equal(t, versions, again)

	// Every instance sees the same working schema.
	u := &store.User{Email: "ada@example.com"}
	require.NoError(t, stores[0].Users().Create(ctx, u))
	_, err = stores[n-1].Users().ByEmail(ctx, "ADA@example.com")
	assert.NoError(t, err)
}

// TestMigrateRepairsBuiltinRoles tampers with the built-in roles as the
// escalation through ROLE_UPDATE could, then replays the repair migration.
func TestMigrateRepairsBuiltinRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		user, err := st.Roles().ByName(ctx, store.RoleUser)
		require.NoError(t, err)
		user.Permissions = []string{"ROLE_UPDATE", "USER_DELETE"}
		require.NoError(t, st.Roles().Update(ctx, user))
		_, err = st.DB().ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = 4")
		require.NoError(t, err)

		require.NoError(t, st.Migrate(ctx))
		want := map[string][]string{
			store.RoleUser:      {},
			store.RoleModerator: {"AUDIT_READ", "USER_READ", "USER_UPDATE"},
		}
		for name, perms := range want {
			r, err := st.Roles().ByName(ctx, name)
			require.NoError(t, err)
			assert.ElementsMatch(t, perms, r.Permissions, name)
		}
		admin, err := st.Roles().ByName(ctx, store.RoleAdmin)
		require.NoError(t, err)
		assert.Len(t, admin.Permissions, 14)
	})
}
