package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func signingKeyCases() []testCase {
	return []testCase{
		{"CreateAndList", testKeyCreateAndList},
		{"CreateDuplicate", testKeyCreateDuplicate},
		{"RetireExcludes", testKeyRetire},
		{"RetireUnknown", testKeyRetireUnknown},
		{"SetPrivateKey", testKeySetPrivateKey},
	}
}

func keyIDs(ks []store.SigningKey) []string {
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID
	}
	return ids
}

func newKey(t *testing.T, st store.Repos, id string, created time.Time) *store.SigningKey {
	t.Helper()
	k := &store.SigningKey{ID: id, Algorithm: "EdDSA", PrivateKey: []byte("pkcs8-" + id), CreatedAt: created}
	require.NoError(t, st.SigningKeys().Create(ctx(t), k))
	return k
}

func testKeyCreateAndList(t *testing.T, st store.Store) {
	ks, err := st.SigningKeys().List(ctx(t), base)
	require.NoError(t, err)
	assert.Empty(t, ks, "a fresh store has no keys")

	k := &store.SigningKey{ID: "kid-1", Algorithm: "ES256", PrivateKey: []byte{0x30, 0x00, 0x81, 0xff}, CreatedAt: base.Add(11 * time.Microsecond)}
	require.NoError(t, st.SigningKeys().Create(ctx(t), k))
	newKey(t, st, "kid-3", base.Add(2*time.Hour))
	newKey(t, st, "kid-2", base.Add(time.Hour))
	future := base.Add(48 * time.Hour)
	withRetire := &store.SigningKey{ID: "kid-0", Algorithm: "HS256", PrivateKey: []byte("secret"), CreatedAt: base.Add(-time.Hour), RetireAt: &future}
	require.NoError(t, st.SigningKeys().Create(ctx(t), withRetire))

	ks, err = st.SigningKeys().List(ctx(t), base.Add(3*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []string{"kid-3", "kid-2", "kid-1", "kid-0"}, keyIDs(ks), "newest first")
	require.Len(t, ks, 4)
	assert.Equal(t, "ES256", ks[2].Algorithm)
	assert.Equal(t, k.PrivateKey, ks[2].PrivateKey)
	sameTime(t, k.CreatedAt, ks[2].CreatedAt)
	assert.Nil(t, ks[2].RetireAt)
	sameTimePtr(t, &future, ks[3].RetireAt)
	assert.Equal(t, "HS256", ks[3].Algorithm)
}

func testKeyCreateDuplicate(t *testing.T, st store.Store) {
	newKey(t, st, "kid-1", base)
	err := st.SigningKeys().Create(ctx(t), &store.SigningKey{ID: "kid-1", Algorithm: "EdDSA", PrivateKey: []byte("other"), CreatedAt: base.Add(time.Hour)})
	isErr(t, err, store.ErrConflict)
	ks, err := st.SigningKeys().List(ctx(t), base)
	require.NoError(t, err)
	require.Len(t, ks, 1)
	assert.Equal(t, []byte("pkcs8-kid-1"), ks[0].PrivateKey, "the first key stands")
}

func testKeyRetire(t *testing.T, st store.Store) {
	newKey(t, st, "old", base)
	newKey(t, st, "new", base.Add(time.Hour))
	retireAt := base.Add(2 * time.Hour)
	require.NoError(t, st.SigningKeys().Retire(ctx(t), "old", retireAt))

	ks, err := st.SigningKeys().List(ctx(t), retireAt.Add(-time.Second))
	require.NoError(t, err)
	assert.Equal(t, []string{"new", "old"}, keyIDs(ks), "a key verifies until RetireAt")
	if assert.Len(t, ks, 2) {
		sameTimePtr(t, &retireAt, ks[1].RetireAt)
	}

	ks, err = st.SigningKeys().List(ctx(t), retireAt)
	require.NoError(t, err)
	assert.Equal(t, []string{"new"}, keyIDs(ks), "retired at now")
	ks, err = st.SigningKeys().List(ctx(t), retireAt.Add(-time.Second).In(zone))
	require.NoError(t, err)
	assert.Equal(t, []string{"new", "old"}, keyIDs(ks), "now in another zone")
	ks, err = st.SigningKeys().List(ctx(t), retireAt.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []string{"new"}, keyIDs(ks), "retired keys stay out")

	// Retiring now takes a key out at once.
	now := base.Add(3 * time.Hour)
	require.NoError(t, st.SigningKeys().Retire(ctx(t), "new", now))
	ks, err = st.SigningKeys().List(ctx(t), now)
	require.NoError(t, err)
	assert.Empty(t, ks)
}

func testKeyRetireUnknown(t *testing.T, st store.Store) {
	for _, id := range []string{"kid-x", missingID, badID} {
		isErr(t, st.SigningKeys().Retire(ctx(t), id, base), store.ErrNotFound, id)
	}
}

func testKeySetPrivateKey(t *testing.T, st store.Store) {
	newKey(t, st, "kid-1", base)
	newKey(t, st, "kid-2", base.Add(time.Hour))
	sealed := []byte{0x01, 0x00, 0xff, 0x30}
	require.NoError(t, st.SigningKeys().SetPrivateKey(ctx(t), "kid-1", sealed))
	ks, err := st.SigningKeys().List(ctx(t), base)
	require.NoError(t, err)
	require.Len(t, ks, 2)
	assert.Equal(t, sealed, ks[1].PrivateKey)
	assert.Equal(t, []byte("pkcs8-kid-2"), ks[0].PrivateKey, "other keys stay")
	assert.Equal(t, "EdDSA", ks[1].Algorithm)
	sameTime(t, base, ks[1].CreatedAt)
	isErr(t, st.SigningKeys().SetPrivateKey(ctx(t), "nope", sealed), store.ErrNotFound)
}
