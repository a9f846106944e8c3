package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func changeCases() []testCase {
	return []testCase{
		{"Writes", testChangesOfWrites},
		{"AfterCommitOnly", testChangesAfterCommit},
		{"Cancel", testChangesCancel},
	}
}

// recorder collects the changes a store announces.
type recorder struct {
	mu  sync.Mutex
	got []store.Change
}

func (r *recorder) add(c store.Change) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
}

// take returns what arrived since the last take.
func (r *recorder) take() []store.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

func testChangesOfWrites(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	sess := newSession(t, st, u.ID, base, time.Hour)
	newSession(t, st, u.ID, base, time.Hour) // a second live one for RevokeByUser
	role := newRole(t, st, "auditor", "AUDIT_READ")
	rec := &recorder{}
	defer st.Subscribe(rec.add)()

	userChanged := store.Change{Kind: store.UserChanged, UserID: u.ID}
	tests := []struct {
		name  string
		write func() error
		want  []store.Change
	}{
		{"Update", func() error {
			_, err := st.Users().Update(ctx(t), u.ID, func(u *store.User) error { u.Bio = "hi"; return nil })
			return err
		}, []store.Change{userChanged}},
		{"UpdateChangingNothing", func() error {
			_, err := st.Users().Update(ctx(t), u.ID, func(*store.User) error { return nil })
			return err
		}, nil},
		{"Assign", func() error { return st.Roles().Assign(ctx(t), u.ID, role.ID, base) }, []store.Change{userChanged}},
		{"Unassign", func() error { return st.Roles().Unassign(ctx(t), u.ID, role.ID) }, []store.Change{userChanged}},
		{"RoleUpdate", func() error {
			role.Permissions = []string{"USER_READ"}
			return st.Roles().Update(ctx(t), role)
		}, []store.Change{{Kind: store.RolesChanged}}},
		{"Revoke", func() error { return st.Sessions().Revoke(ctx(t), sess.ID, base, "test") },
			[]store.Change{{Kind: store.SessionRevoked, SessionID: sess.ID}}},
		{"RevokeByUser", func() error {
			_, err := st.Sessions().RevokeByUser(ctx(t), u.ID, "", base, "test")
			return err
		}, []store.Change{{Kind: store.UserSessionsRevoked, UserID: u.ID}}},
		{"RevokeByUserNone", func() error {
			_, err := st.Sessions().RevokeByUser(ctx(t), u.ID, "", base, "test")
			return err
		}, nil},
		{"RoleDelete", func() error { return st.Roles().Delete(ctx(t), role.ID) }, []store.Change{{Kind: store.RolesChanged}}},
		{"NotificationCreate", func() error {
			return st.Notifications().Create(ctx(t), &store.Notification{UserID: u.ID, Type: "test.notice", Title: "t", CreatedAt: base})
		}, []store.Change{{Kind: store.NotificationCreated, UserID: u.ID}}},
		{"Delete", func() error { return st.Users().Delete(ctx(t), u.ID) }, []store.Change{userChanged}},
		{"Failed", func() error {
			_, err := st.Users().Update(ctx(t), missingID, func(*store.User) error { return nil })
			return err
		}, nil},
	}
	for _, tc := range tests {
		rec.take()
		err := tc.write()
		if tc.name != "Failed" {
			require.NoError(t, err, tc.name)
		}
		assert.Equal(t, tc.want, rec.take(), tc.name)
	}
}

func testChangesAfterCommit(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	rec := &recorder{}
	defer st.Subscribe(rec.add)()
	update := func(tx store.Repos) error {
		_, err := tx.Users().Update(ctx(t), u.ID, func(u *store.User) error { u.Bio += "x"; return nil })
		return err
	}

	err := st.InTx(ctx(t), func(tx store.Repos) error {
		if err := update(tx); err != nil {
			return err
		}
		assert.Empty(t, rec.take(), "nothing is announced before the commit")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []store.Change{{Kind: store.UserChanged, UserID: u.ID}}, rec.take(), "announced once committed")

	boom := errors.New("rolled back")
	err = st.InTx(ctx(t), func(tx store.Repos) error {
		if err := update(tx); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Empty(t, rec.take(), "a rolled-back change is never announced")
}

func testChangesCancel(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	rec := &recorder{}
	cancel := st.Subscribe(rec.add)
	cancel()
	_, err := st.Users().Update(ctx(t), u.ID, func(u *store.User) error { u.Bio = "hi"; return nil })
	require.NoError(t, err)
	assert.Empty(t, rec.take())
}
