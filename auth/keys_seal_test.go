package auth_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/seal"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func encKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, seal.KeySize)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

// storedRow returns the store row of kid as a dump would show it.
func storedRow(t testing.TB, st store.Store, clk *testClock, kid string) []byte {
	t.Helper()
	rows, err := st.SigningKeys().List(context.Background(), clk.Now())
	require.NoError(t, err)
	for _, r := range rows {
		if r.ID == kid {
			return r.PrivateKey
		}
	}
	t.Fatalf("no stored key %q", kid)
	return nil
}

// assertNoKeyMaterial checks that a row gives nothing of key away: no
// PKCS#8 DER, PEM or seed.
func assertNoKeyMaterial(t testing.TB, row []byte, key ed25519.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	assert.False(t, bytes.Contains(row, der), "no DER in the row")
	assert.False(t, bytes.Contains(row, pemKey), "no PEM in the row")
	assert.False(t, bytes.Contains(row, []byte("PRIVATE KEY")), "no PEM in the row")
	assert.False(t, bytes.Contains(row, key.Seed()), "no seed in the row")
	_, err = x509.ParsePKCS8PrivateKey(row)
	assert.Error(t, err, "the row is not PKCS#8")
}

// openRow opens a sealed row as the documented format says: AES-256-GCM
// with the kid in the additional data.
func openRow(t testing.TB, keys [][]byte, kid string, row []byte) (ed25519.PrivateKey, int) {
	t.Helper()
	der, used, err := seal.Open(keys, []byte("usermgmt/signing-key\x00"+kid), row)
	require.NoError(t, err)
	priv, err := x509.ParsePKCS8PrivateKey(der)
	require.NoError(t, err)
	return priv.(ed25519.PrivateKey), used
}

func TestSealedSigningKeys(t *testing.T) {
	ctx := context.Background()
	// each runs fn on a fresh store of every database.
	each := func(name string, fn func(t *testing.T, st *bunstore.Store)) {
		t.Run(name, func(t *testing.T) { dbtest.Each(t, fn) })
	}

	each("NewKeysAreSealed", func(t *testing.T, st *bunstore.Store) {
		clk := newClock()
		key := encKey(t)
		tk := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.EncryptionKeys = [][]byte{key} })
		tok, _ := issue(t, tk, aliceClaims)
		kid := kidOf(t, tok)
		row := storedRow(t, st, clk, kid)
		assert.True(t, seal.IsSealed(row))
		priv, _ := openRow(t, [][]byte{key}, kid, row)
		assertNoKeyMaterial(t, row, priv)

		// Signing works with what the row holds, and rotation seals too.
		_, err := tk.Verify(ctx, tok)
		require.NoError(t, err)
		clk.Advance(time.Minute)
		require.NoError(t, tk.Rotate(ctx))
		fresh, _ := issue(t, tk, aliceClaims)
		newKid := kidOf(t, fresh)
		require.NotEqual(t, kid, newKid)
		newRow := storedRow(t, st, clk, newKid)
		newPriv, _ := openRow(t, [][]byte{key}, newKid, newRow)
		assertNoKeyMaterial(t, newRow, newPriv)

		// Another instance with the key verifies both.
		other := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.EncryptionKeys = [][]byte{key} })
		for _, tk := range []string{tok, fresh} {
			_, err := other.Verify(ctx, tk)
			require.NoError(t, err)
		}
	})

	each("WrongKeyFails", func(t *testing.T, st *bunstore.Store) {
		clk := newClock()
		key := encKey(t)
		tk := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.EncryptionKeys = [][]byte{key} })
		tok, _ := issue(t, tk, aliceClaims)
		kid := kidOf(t, tok)
		row := storedRow(t, st, clk, kid)

		for _, tc := range []struct {
			name string
			keys [][]byte
			want string
		}{
			{"another key", [][]byte{encKey(t)}, "no encryption key opens"},
			{"no key", nil, "no encryption key is configured"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dump := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.EncryptionKeys = tc.keys })
				_, _, err := dump.Issue(ctx, aliceClaims)
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.want)
				_, err = dump.Verify(ctx, tok)
				assert.Error(t, err)
				_, err = dump.JWKS(ctx)
				assert.Error(t, err)
				assert.Equal(t, row, storedRow(t, st, clk, kid), "the row is left alone")
			})
		}
		_, _, err := seal.Open([][]byte{encKey(t)}, []byte("usermgmt/signing-key\x00"+kid), row)
		assert.ErrorIs(t, err, seal.ErrUnsealable, "a dump read with the wrong key")
	})

	each("ClearKeysVerifyAndGetSealed", func(t *testing.T, st *bunstore.Store) {
		clk := newClock()
		legacy := newTokens(t, st, clk, nil)
		tok, _ := issue(t, legacy, aliceClaims)
		kid := kidOf(t, tok)
		clear := storedKey(t, st, clk, kid) // PKCS#8 in clear, as before

		key := encKey(t)
		tk := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.EncryptionKeys = [][]byte{key} })
		_, err := tk.Verify(ctx, tok)
		require.NoError(t, err, "a token signed by a clear key verifies")
		row := storedRow(t, st, clk, kid)
		require.True(t, seal.IsSealed(row), "sealed on load")
		priv, _ := openRow(t, [][]byte{key}, kid, row)
		assert.Equal(t, clear, priv, "the same key")
		assertNoKeyMaterial(t, row, clear)
		again, _ := issue(t, tk, aliceClaims)
		assert.Equal(t, kid, kidOf(t, again), "the same key goes on signing")

		// Rotating the encryption key: the previous one still opens, and
		// the row is resealed under the new one.
		next := encKey(t)
		rotated := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.EncryptionKeys = [][]byte{next, key} })
		_, err = rotated.Verify(ctx, tok)
		require.NoError(t, err)
		_, used := openRow(t, [][]byte{key, next}, kid, storedRow(t, st, clk, kid))
		assert.Equal(t, 1, used, "resealed under the new key")
		only := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.EncryptionKeys = [][]byte{next} })
		_, err = only.Verify(ctx, tok)
		require.NoError(t, err, "the new key alone opens it now")
	})
}

func TestEncryptionKeysConfig(t *testing.T) {
	st := dbtest.SQLite(t)
	_, err := auth.NewTokens(st, auth.TokenConfig{Issuer: "i", Audience: "a", EncryptionKeys: [][]byte{make([]byte, 16)}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "EncryptionKeys[0]")
	_, err = auth.NewTokens(nil, auth.TokenConfig{Issuer: "i", Audience: "a", Keys: nil, Algorithm: "HS256",
		Secret: make([]byte, 32), EncryptionKeys: [][]byte{make([]byte, 32)}})
	assert.NoError(t, err, "ignored with host-held keys")
}
