package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func storeCases() []testCase {
	return []testCase{
		{"Ping", testPing},
		{"InTxCommit", testInTxCommit},
		{"InTxRollbackOnError", testInTxRollbackOnError},
		{"InTxRollbackOnDomainError", testInTxDomainError},
		{"InTxRollbackOnPanic", testInTxRollbackOnPanic},
		{"ParallelWriters", testParallelWriters},
	}
}

func testPing(t *testing.T, st store.Store) {
	assert.NoError(t, st.Ping(ctx(t)))
}

// writeAll writes one row of most aggregates through r.
func writeAll(r store.Repos, t *testing.T, name string) (*store.User, error) {
	c := ctx(t)
	u := &store.User{Email: name + "@example.com", Username: name, CreatedAt: base, UpdatedAt: base}
	if err := r.Users().Create(c, u); err != nil {
		return nil, err
	}
	role, err := r.Roles().ByName(c, store.RoleUser)
	if err != nil {
		return nil, err
	}
	if err := r.Roles().Assign(c, u.ID, role.ID, base); err != nil {
		return nil, err
	}
	s := &store.Session{UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := r.Sessions().Create(c, s); err != nil {
		return nil, err
	}
	if err := r.RefreshTokens().Create(c, &store.RefreshToken{SessionID: s.ID, UserID: u.ID, Hash: []byte("rt-" + name), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		return nil, err
	}
	if err := r.OneTimeTokens().Create(c, &store.OneTimeToken{UserID: u.ID, Purpose: store.PurposeVerifyEmail, Hash: []byte("ot-" + name), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		return nil, err
	}
	if err := r.Notifications().Create(c, &store.Notification{UserID: u.ID, Type: "welcome", Title: "hi", Body: "b", CreatedAt: base}); err != nil {
		return nil, err
	}
	if err := r.Audit().Record(c, &store.AuditEntry{ActorID: u.ID, Action: "user.register", Outcome: store.OutcomeSuccess, CreatedAt: base}); err != nil {
		return nil, err
	}
	if _, err := r.Lockout().RecordFailure(c, name, base, policy); err != nil {
		return nil, err
	}
	if err := r.TwoFactor().Put(c, &store.TwoFactor{UserID: u.ID, Method: store.MethodEmail, CreatedAt: base, UpdatedAt: base}); err != nil {
		return nil, err
	}
	if _, err := r.Avatars().Put(c, &store.Avatar{UserID: u.ID, ContentType: "image/png", Size: 1, Width: 1, Height: 1, CreatedAt: base}); err != nil {
		return nil, err
	}
	if err := r.SigningKeys().Create(c, &store.SigningKey{ID: "kid-" + name, Algorithm: "EdDSA", PrivateKey: []byte("k"), CreatedAt: base}); err != nil {
		return nil, err
	}
	return u, nil
}

// assertNothingOf asserts that none of what writeAll(name) writes exists.
func assertNothingOf(t *testing.T, st store.Store, name string) {
	t.Helper()
	c := ctx(t)
	_, err := st.Users().ByEmail(c, name+"@example.com")
	isErr(t, err, store.ErrUserNotFound, "user rolled back")
	_, err = st.RefreshTokens().ByHash(c, []byte("rt-"+name))
	isErr(t, err, store.ErrInvalidRefreshToken, "refresh token rolled back")
	_, err = st.OneTimeTokens().ByHash(c, store.PurposeVerifyEmail, []byte("ot-"+name))
	isErr(t, err, store.ErrInvalidToken, "one-time token rolled back")
	n, err := st.Audit().Count(c, store.AuditFilter{Action: "user.register"})
	require.NoError(t, err)
	assert.Zero(t, n, "audit entry rolled back")
	rec, err := st.Lockout().Failures(c, name)
	require.NoError(t, err)
	assert.Zero(t, rec.Count, "lockout failure rolled back")
	ks, err := st.SigningKeys().List(c, base)
	require.NoError(t, err)
	assert.Empty(t, ks, "signing key rolled back")
	role, err := st.Roles().ByName(c, store.RoleUser)
	require.NoError(t, err)
	cnt, err := st.Roles().CountUsers(c, role.ID)
	require.NoError(t, err)
	assert.Zero(t, cnt, "role assignment rolled back")
}

// usable fails the test when the store cannot write within a while, as
// when a transaction left a lock behind.
func usable(t *testing.T, st store.Store, name string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- st.Users().Create(ctx(t), &store.User{Email: name + "@example.com", CreatedAt: base, UpdatedAt: base})
	}()
	select {
	case err := <-done:
		assert.NoError(t, err, "the store writes after the transaction")
	case <-time.After(15 * time.Second):
		require.FailNow(t, "the store is stuck after the transaction")
	}
}

func testInTxCommit(t *testing.T, st store.Store) {
	var id string
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		u, err := writeAll(tx, t, "ada")
		if err != nil {
			return err
		}
		id = u.ID
		// The transaction sees its own writes.
		got, err := tx.Users().ByEmail(ctx(t), "ADA@example.com")
		if err != nil {
			return err
		}
		if got.ID != u.ID {
			return fmt.Errorf("read %s inside the transaction, want %s", got.ID, u.ID)
		}
		held, err := tx.Roles().RolesOf(ctx(t), u.ID)
		if err != nil {
			return err
		}
		if len(held) != 1 {
			return fmt.Errorf("RolesOf inside the transaction: %d roles", len(held))
		}
		return nil
	})
	require.NoError(t, err)

	c := ctx(t)
	got, err := st.Users().ByID(c, id)
	require.NoError(t, err, "committed")
	assert.Equal(t, "ada@example.com", got.Email)
	_, err = st.RefreshTokens().ByHash(c, []byte("rt-ada"))
	assert.NoError(t, err)
	_, err = st.OneTimeTokens().ByHash(c, store.PurposeVerifyEmail, []byte("ot-ada"))
	assert.NoError(t, err)
	assert.Equal(t, 1, countUnread(t, st, id))
	n, err := st.Audit().Count(c, store.AuditFilter{ActorID: id})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = st.TwoFactor().Get(c, id)
	assert.NoError(t, err)
	_, err = st.Avatars().ByUser(c, id)
	assert.NoError(t, err)
	ks, err := st.SigningKeys().List(c, base)
	require.NoError(t, err)
	assert.Len(t, ks, 1)
	usable(t, st, "after")
}

var errAbort = errors.New("storetest: abort")

func testInTxRollbackOnError(t *testing.T, st store.Store) {
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		if _, err := writeAll(tx, t, "ada"); err != nil {
			return err
		}
		return fmt.Errorf("giving up: %w", errAbort)
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, errAbort, "InTx returns fn's error")
	assertNothingOf(t, st, "ada")
	usable(t, st, "after")
}

func testInTxDomainError(t *testing.T, st store.Store) {
	newUser(t, st, "bob")
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		if _, err := writeAll(tx, t, "ada"); err != nil {
			return err
		}
		// A conflict inside the transaction aborts it.
		return tx.Users().Create(ctx(t), &store.User{Email: "BOB@example.com", CreatedAt: base, UpdatedAt: base})
	})
	isErr(t, err, store.ErrEmailTaken, "the domain error comes out of InTx")
	assertNothingOf(t, st, "ada")
	usable(t, st, "after")
}

// panicValue is what the transaction panics with.
type panicValue struct{ msg string }

func testInTxRollbackOnPanic(t *testing.T, st store.Store) {
	var recovered any
	var err error
	func() {
		defer func() { recovered = recover() }()
		err = st.InTx(ctx(t), func(tx store.Repos) error {
			if _, err := writeAll(tx, t, "ada"); err != nil {
				return err
			}
			panic(&panicValue{"boom"})
		})
	}()
	require.NoError(t, err, "the panic came before fn returned")
	pv, ok := recovered.(*panicValue)
	if assert.True(t, ok, "InTx re-panics with fn's value, got %#v", recovered) {
		assert.Equal(t, "boom", pv.msg)
	}
	assertNothingOf(t, st, "ada")
	usable(t, st, "after")
}

func testParallelWriters(t *testing.T, st store.Store) {
	const n = 50
	owner := newUser(t, st, "owner")
	errs := parallel(n, func(i int) error {
		c := ctx(t)
		switch i % 5 {
		case 0:
			return st.Users().Create(c, &store.User{Email: fmt.Sprintf("w%d@example.com", i), CreatedAt: base, UpdatedAt: base})
		case 1:
			return st.Notifications().Create(c, &store.Notification{UserID: owner.ID, Type: "t", Title: "t", Body: "b", CreatedAt: base.Add(time.Duration(i) * time.Second)})
		case 2:
			return st.InTx(c, func(tx store.Repos) error {
				_, err := writeAll(tx, t, fmt.Sprintf("tx%d", i))
				return err
			})
		case 3:
			_, err := st.Lockout().RecordFailure(c, "shared", base, policy)
			return err
		default:
			// Reads interleaved with writes must not fail either.
			if _, err := st.Users().ByID(c, owner.ID); err != nil {
				return err
			}
			return st.Audit().Record(c, &store.AuditEntry{ActorID: owner.ID, Action: "x.y", Outcome: store.OutcomeSuccess, CreatedAt: base})
		}
	})
	ok, _ := tally(t, errs, nil)
	require.Equal(t, n, ok, "every writer succeeds")

	assert.Equal(t, n/5, countUnread(t, st, owner.ID))
	rec, err := st.Lockout().Failures(ctx(t), "shared")
	require.NoError(t, err)
	assert.Equal(t, n/5, rec.Count)
	cnt, err := st.Audit().Count(ctx(t), store.AuditFilter{Action: "x.y"})
	require.NoError(t, err)
	assert.Equal(t, n/5, cnt)
	cnt, err = st.Audit().Count(ctx(t), store.AuditFilter{Action: "user.register"})
	require.NoError(t, err)
	assert.Equal(t, n/5, cnt, "every transaction committed")
	for i := 0; i < n; i += 5 {
		_, err := st.Users().ByEmail(ctx(t), fmt.Sprintf("w%d@example.com", i))
		assert.NoError(t, err, "user %d", i)
	}
}
