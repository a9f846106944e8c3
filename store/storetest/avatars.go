package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func avatarCases() []testCase {
	return []testCase{
		{"PutAndByUser", testAvatarPutAndByUser},
		{"PutReplacesReturnsOldID", testAvatarPutReplaces},
		{"PutUnknownUser", testAvatarPutUnknownUser},
		{"ByUserNotFound", testAvatarByUserNotFound},
		{"Delete", testAvatarDelete},
		{"ConcurrentPut", testAvatarConcurrentPut},
	}
}

func putAvatar(t *testing.T, st store.Repos, userID string, at time.Time) (*store.Avatar, string) {
	t.Helper()
	a := &store.Avatar{UserID: userID, ContentType: "image/png", Size: 2048, Width: 64, Height: 48, CreatedAt: at}
	old, err := st.Avatars().Put(ctx(t), a)
	require.NoError(t, err)
	require.NotEmpty(t, a.ID)
	return a, old
}

func testAvatarPutAndByUser(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	a := &store.Avatar{UserID: u.ID, ContentType: "image/webp", Size: 1 << 20, Width: 512, Height: 256, CreatedAt: base.Add(13 * time.Microsecond)}
	old, err := st.Avatars().Put(ctx(t), a)
	require.NoError(t, err)
	assert.Empty(t, old, "no previous avatar")
	_, err = uuid.Parse(a.ID)
	assert.NoError(t, err, "Put assigns a UUID")

	got, err := st.Avatars().ByUser(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, a.ID, got.ID)
	assert.Equal(t, u.ID, got.UserID)
	assert.Equal(t, "image/webp", got.ContentType)
	assert.Equal(t, int64(1<<20), got.Size)
	assert.Equal(t, 512, got.Width)
	assert.Equal(t, 256, got.Height)
	sameTime(t, a.CreatedAt, got.CreatedAt)
}

func testAvatarPutReplaces(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	first, old := putAvatar(t, st, u.ID, base)
	assert.Empty(t, old)
	bobs, _ := putAvatar(t, st, b.ID, base)

	second, old := putAvatar(t, st, u.ID, base.Add(time.Hour))
	assert.Equal(t, first.ID, old, "Put returns the replaced avatar's id")
	assert.NotEqual(t, first.ID, second.ID)
	got, err := st.Avatars().ByUser(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, second.ID, got.ID)
	sameTime(t, base.Add(time.Hour), got.CreatedAt)

	_, old = putAvatar(t, st, u.ID, base.Add(2*time.Hour))
	assert.Equal(t, second.ID, old)

	got, err = st.Avatars().ByUser(ctx(t), b.ID)
	require.NoError(t, err)
	assert.Equal(t, bobs.ID, got.ID, "other users untouched")
}

func testAvatarPutUnknownUser(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		_, err := st.Avatars().Put(ctx(t), &store.Avatar{UserID: id, ContentType: "image/png", Size: 1, Width: 1, Height: 1, CreatedAt: base})
		isErr(t, err, store.ErrUserNotFound, id)
	}
}

func testAvatarByUserNotFound(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	for _, id := range []string{u.ID, missingID, badID} {
		_, err := st.Avatars().ByUser(ctx(t), id)
		isErr(t, err, store.ErrNotFound, id)
	}
}

func testAvatarDelete(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	putAvatar(t, st, u.ID, base)
	putAvatar(t, st, b.ID, base)
	require.NoError(t, st.Avatars().Delete(ctx(t), u.ID))
	_, err := st.Avatars().ByUser(ctx(t), u.ID)
	isErr(t, err, store.ErrNotFound)
	_, err = st.Avatars().ByUser(ctx(t), b.ID)
	assert.NoError(t, err, "other users untouched")
	for _, id := range []string{u.ID, missingID, badID} {
		isErr(t, st.Avatars().Delete(ctx(t), id), store.ErrNotFound, id)
	}
	// A new avatar after deletion replaces nothing.
	_, old := putAvatar(t, st, u.ID, base.Add(time.Hour))
	assert.Empty(t, old)
}

func testAvatarConcurrentPut(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	const n = 10
	as := make([]*store.Avatar, n)
	olds := make([]string, n)
	errs := parallel(n, func(i int) error {
		as[i] = &store.Avatar{UserID: u.ID, ContentType: "image/png", Size: 1, Width: 1, Height: 1, CreatedAt: base}
		var err error
		olds[i], err = st.Avatars().Put(ctx(t), as[i])
		return err
	})
	ok, _ := tally(t, errs, nil)
	require.Equal(t, n, ok, "every Put succeeds")

	// Each avatar but the last is replaced, and reported, exactly once:
	// otherwise the host leaks (or deletes twice) the stored image.
	got, err := st.Avatars().ByUser(ctx(t), u.ID)
	require.NoError(t, err)
	replaced := map[string]int{}
	for _, old := range olds {
		replaced[old]++
	}
	assert.Equal(t, 1, replaced[""], "exactly one Put found no avatar")
	for _, a := range as {
		if a.ID == got.ID {
			assert.Zero(t, replaced[a.ID], "the current avatar was not replaced")
		} else {
			assert.Equal(t, 1, replaced[a.ID], "avatar %s replaced once", a.ID)
		}
	}
}
