package seal_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/seal"
)

func TestSealOpen(t *testing.T) {
	key, other := make([]byte, seal.KeySize), make([]byte, seal.KeySize)
	_, _ = rand.Read(key)
	_, _ = rand.Read(other)
	secret := []byte("12345678901234567890")
	aad := []byte("test\x00row-1")

	sealed, err := seal.Seal(key, rand.Reader, aad, secret)
	require.NoError(t, err)
	assert.Equal(t, seal.Version, sealed[0])
	assert.True(t, seal.IsSealed(sealed))
	assert.Len(t, sealed, 1+12+len(secret)+16)
	assert.False(t, bytes.Contains(sealed, secret), "the secret is not in the clear")

	again, err := seal.Seal(key, rand.Reader, aad, secret)
	require.NoError(t, err)
	assert.NotEqual(t, sealed, again, "a fresh nonce each time")

	got, idx, err := seal.Open([][]byte{other, key}, aad, sealed)
	require.NoError(t, err)
	assert.Equal(t, secret, got)
	assert.Equal(t, 1, idx, "opened by the second key")

	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for _, tc := range []struct {
		name   string
		keys   [][]byte
		aad    []byte
		sealed []byte
	}{
		{"wrong key", [][]byte{other}, aad, sealed},
		{"no key", nil, aad, sealed},
		{"moved to another row", [][]byte{key}, []byte("test\x00row-2"), sealed},
		{"tampered", [][]byte{key}, aad, tampered},
		{"empty", [][]byte{key}, aad, nil},
		{"truncated", [][]byte{key}, aad, sealed[:20]},
		{"not sealed (DER)", [][]byte{key}, aad, []byte{0x30, 0x2e, 0x02, 0x01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := seal.Open(tc.keys, tc.aad, tc.sealed)
			assert.ErrorIs(t, err, seal.ErrUnsealable)
		})
	}
}

func TestSealBadInput(t *testing.T) {
	_, err := seal.Seal(make([]byte, 16), rand.Reader, nil, []byte("x"))
	assert.Error(t, err, "AES-128 keys are refused")
	_, err = seal.Seal(make([]byte, seal.KeySize), bytes.NewReader(nil), nil, []byte("x"))
	assert.Error(t, err, "a failing random source")
	_, _, err = seal.Open([][]byte{make([]byte, 16)}, nil, []byte{seal.Version, 1, 2})
	assert.Error(t, err)
	assert.False(t, errors.Is(err, seal.ErrUnsealable), "a bad key is a configuration error")
}
