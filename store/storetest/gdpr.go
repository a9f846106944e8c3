package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func erasureCases() []testCase {
	return []testCase{
		{"DeleteUser", testErasureDeleteUser},
		{"ForgetIdentifiers", testErasureForgetIdentifiers},
		{"ClaimPurgeable", testErasureClaimPurgeable},
	}
}

// userData gives u a row in every table keyed to users.
func userData(t *testing.T, st store.Store, u *store.User) *store.Session {
	t.Helper()
	s := newSession(t, st, u.ID, base, time.Hour)
	require.NoError(t, st.TwoFactor().Put(ctx(t), &store.TwoFactor{UserID: u.ID, Method: store.MethodTOTP,
		Secret: []byte("s"), Enabled: true, CreatedAt: base, UpdatedAt: base}))
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(ctx(t), u.ID,
		[]store.BackupCode{{UserID: u.ID, Hash: []byte("h-" + u.ID), CreatedAt: base}}))
	role, err := st.Roles().ByName(ctx(t), store.RoleUser)
	require.NoError(t, err)
	require.NoError(t, st.Roles().Assign(ctx(t), u.ID, role.ID, base))
	require.NoError(t, st.Users().AddPasswordHistory(ctx(t), store.PasswordHistoryEntry{UserID: u.ID, Hash: "old", CreatedAt: base}))
	require.NoError(t, st.Notifications().Create(ctx(t), &store.Notification{UserID: u.ID, Type: "t", Title: "hi", Body: "b", CreatedAt: base}))
	_, err = st.Avatars().Put(ctx(t), &store.Avatar{UserID: u.ID, ContentType: "image/png", Size: 1, Width: 1, Height: 1, CreatedAt: base})
	require.NoError(t, err)
	return s
}

func testErasureDeleteUser(t *testing.T, st store.Store) {
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	adaSession, bobSession := userData(t, st, ada), userData(t, st, bob)
	require.NoError(t, st.Audit().Record(ctx(t), &store.AuditEntry{ActorID: ada.ID, Action: "a", Outcome: store.OutcomeSuccess, CreatedAt: base}))

	require.NoError(t, st.Erasure().DeleteUser(ctx(t), ada.ID))

	_, err := st.Users().ByID(ctx(t), ada.ID)
	isErr(t, err, store.ErrUserNotFound)
	_, err = st.Sessions().ByID(ctx(t), adaSession.ID)
	isErr(t, err, store.ErrSessionNotFound)
	_, err = st.TwoFactor().Get(ctx(t), ada.ID)
	assert.Error(t, err)
	n, err := st.TwoFactor().BackupCodesRemaining(ctx(t), ada.ID)
	require.NoError(t, err)
	assert.Zero(t, n)
	roles, err := st.Roles().RolesOf(ctx(t), ada.ID)
	require.NoError(t, err)
	assert.Empty(t, roles)
	hist, err := st.Users().PasswordHistory(ctx(t), ada.ID, 5)
	require.NoError(t, err)
	assert.Empty(t, hist)
	notes, err := st.Notifications().List(ctx(t), ada.ID, store.NotificationFilter{}, store.ListRequest{})
	require.NoError(t, err)
	assert.Empty(t, notes.Items)
	_, err = st.Avatars().ByUser(ctx(t), ada.ID)
	isErr(t, err, store.ErrNotFound)
	n, err = st.Audit().Count(ctx(t), store.AuditFilter{ActorID: ada.ID})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "audit entries stay")

	// The other user keeps everything.
	_, err = st.Sessions().ByID(ctx(t), bobSession.ID)
	assert.NoError(t, err)
	n, err = st.TwoFactor().BackupCodesRemaining(ctx(t), bob.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = st.Avatars().ByUser(ctx(t), bob.ID)
	assert.NoError(t, err)

	isErr(t, st.Erasure().DeleteUser(ctx(t), ada.ID), store.ErrUserNotFound, "twice")
	isErr(t, st.Erasure().DeleteUser(ctx(t), badID), store.ErrUserNotFound)
}

func testErasureForgetIdentifiers(t *testing.T, st store.Store) {
	p := store.LockoutPolicy{Threshold: 5, Window: time.Minute, LockFor: time.Minute, MaxLock: time.Hour}
	for _, id := range []string{"ada@example.com", "ada", "bob@example.com"} {
		_, err := st.Lockout().RecordFailure(ctx(t), id, base, p)
		require.NoError(t, err)
	}
	for _, key := range []string{"login:id:ada@example.com", "forgot:addr:ada@example.com", "login:id:ada",
		"login:id:xada@example.com", "login:id:bob@example.com", "client:203.0.113.1"} {
		_, err := st.RateLimits().Hit(ctx(t), key, base, base.Add(time.Minute))
		require.NoError(t, err)
	}

	n, err := st.Erasure().ForgetIdentifiers(ctx(t), "ADA@example.com", "ada", "")
	require.NoError(t, err)
	assert.Equal(t, 5, n, "two lock-out records, three windows")

	for id, want := range map[string]int{"ada@example.com": 0, "ada": 0, "bob@example.com": 1} {
		f, err := st.Lockout().Failures(ctx(t), id)
		require.NoError(t, err)
		assert.Equal(t, want, f.Count, id)
	}
	for key, want := range map[string]int{"login:id:ada@example.com": 1, "login:id:ada": 1,
		"login:id:xada@example.com": 2, "login:id:bob@example.com": 2, "client:203.0.113.1": 2} {
		got, err := st.RateLimits().Hit(ctx(t), key, base, base.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s: a forgotten window starts again", key)
	}
	n, err = st.Erasure().ForgetIdentifiers(ctx(t))
	require.NoError(t, err)
	assert.Zero(t, n)
}

func testErasureClaimPurgeable(t *testing.T, st store.Store) {
	del := func(name string, purge time.Time) *store.User {
		u := newUser(t, st, name)
		_, err := st.Users().Update(ctx(t), u.ID, func(u *store.User) error {
			u.Status, u.DeletedAt, u.PurgeAfter = store.StatusDeleted, &base, &purge
			return nil
		})
		require.NoError(t, err)
		return u
	}
	first := del("first", base.Add(-2*time.Hour))
	second := del("second", base.Add(-time.Hour))
	atCutoff := del("cutoff", base)
	del("later", base.Add(time.Second))
	active := newUser(t, st, "active")
	_, err := st.Users().Update(ctx(t), active.ID, func(u *store.User) error {
		p := base.Add(-time.Hour)
		u.PurgeAfter = &p // not deleted: never purged
		return nil
	})
	require.NoError(t, err)

	ids, err := st.Erasure().ClaimPurgeable(ctx(t), base, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{first.ID, second.ID, atCutoff.ID}, ids, "deleted and due, oldest first")
	ids, err = st.Erasure().ClaimPurgeable(ctx(t), base, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{first.ID, second.ID}, ids, "at most limit")

	require.NoError(t, st.InTx(ctx(t), func(tx store.Repos) error {
		ids, err := tx.Erasure().ClaimPurgeable(ctx(t), base, 1)
		require.NoError(t, err)
		assert.Equal(t, []string{first.ID}, ids, "inside a transaction too")
		return nil
	}))
}
