package twofa

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/testkit"
)

// refHOTP is RFC 4226 written out independently of the code under test.
func refHOTP(secret []byte, counter uint64, digits int) string {
	return testkit.HOTP(secret, counter, digits)
}

// TestTOTPRFC6238 checks the SHA-1 test vectors of RFC 6238 appendix B.
func TestTOTPRFC6238(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		t.Run(fmt.Sprint(tc.unix), func(t *testing.T) {
			got, err := totpCode(secret, totpStep(tc.unix), 8)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want, refHOTP(secret, uint64(tc.unix/30), 8), "the reference implementation")
			six, err := totpCode(secret, totpStep(tc.unix), 6)
			require.NoError(t, err)
			assert.Equal(t, tc.want[2:], six, "six digits are the last six of eight")
		})
	}
}

func TestTOTPMatchesReference(t *testing.T) {
	for i := range 200 {
		secret := make([]byte, TOTPSecretSize)
		_, _ = rand.Read(secret)
		step := int64(i)*7919 + 55_000_000
		got, err := totpCode(secret, step, 6)
		require.NoError(t, err)
		require.Equal(t, refHOTP(secret, uint64(step), 6), got)
	}
}

func TestSeal(t *testing.T) {
	key, other := make([]byte, KeySize), make([]byte, KeySize)
	_, _ = rand.Read(key)
	_, _ = rand.Read(other)
	secret := []byte("12345678901234567890")

	sealed, err := seal(key, rand.Reader, "user-1", secret)
	require.NoError(t, err)
	assert.Equal(t, sealVersion, sealed[0])
	assert.Len(t, sealed, 1+12+len(secret)+16)
	assert.False(t, bytes.Contains(sealed, secret), "the secret is not in the clear")

	again, err := seal(key, rand.Reader, "user-1", secret)
	require.NoError(t, err)
	assert.NotEqual(t, sealed, again, "a fresh nonce each time")

	got, idx, err := open([][]byte{other, key}, "user-1", sealed)
	require.NoError(t, err)
	assert.Equal(t, secret, got)
	assert.Equal(t, 1, idx, "opened by the second key")

	_, _, err = open([][]byte{other}, "user-1", sealed)
	assert.ErrorIs(t, err, errUnsealable, "wrong key")
	_, _, err = open([][]byte{key}, "user-2", sealed)
	assert.ErrorIs(t, err, errUnsealable, "moved to another user")
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	_, _, err = open([][]byte{key}, "user-1", tampered)
	assert.ErrorIs(t, err, errUnsealable, "tampered")
	_, _, err = open([][]byte{key}, "user-1", nil)
	assert.ErrorIs(t, err, errUnsealable, "empty")
}

func TestDeriveKey(t *testing.T) {
	a := DeriveKey([]byte("material one"))
	assert.Len(t, a, KeySize)
	assert.Equal(t, a, DeriveKey([]byte("material one")), "deterministic")
	assert.NotEqual(t, a, DeriveKey([]byte("material two")))
}

func TestBackupCodeFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 500 {
		c, err := newBackupCode(rand.Reader)
		require.NoError(t, err)
		require.Regexp(t, `^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$`, c)
		n, ok := normalizeBackupCode(c)
		require.True(t, ok)
		seen[n] = true
		lower, ok := normalizeBackupCode(" " + string(bytes.ToLower([]byte(c))) + " ")
		require.True(t, ok)
		assert.Equal(t, n, lower)
	}
	assert.Greater(t, len(seen), 495)
	for _, bad := range []string{"", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "123456"} {
		_, ok := normalizeBackupCode(bad)
		assert.False(t, ok, bad)
	}
}

func TestNumericCode(t *testing.T) {
	counts := map[byte]int{}
	for range 2000 {
		c, err := newNumericCode(rand.Reader)
		require.NoError(t, err)
		require.Regexp(t, `^[0-9]{6}$`, c)
		for i := range len(c) {
			counts[c[i]]++
		}
	}
	for d := byte('0'); d <= '9'; d++ {
		assert.InDelta(t, 1200, counts[d], 250, "digit %c", d)
	}
	n, ok := normalizeNumericCode(" 123 456 ")
	assert.True(t, ok)
	assert.Equal(t, "123456", n)
	for _, bad := range []string{"", "12345", "1234567", "12a456"} {
		_, ok := normalizeNumericCode(bad)
		assert.False(t, ok, bad)
	}
}

func TestMask(t *testing.T) {
	assert.Equal(t, "a***@example.com", maskEmail("ada@example.com"))
	assert.Equal(t, "+*******1234", maskPhone("+14155551234"))
	p, ok := normalizePhone("+1 (415) 555-1234")
	assert.True(t, ok)
	assert.Equal(t, "+14155551234", p)
	for _, bad := range []string{"4155551234", "+0123456789", "+1234", "+1415555123456789", "+1415abc1234"} {
		_, ok := normalizePhone(bad)
		assert.False(t, ok, bad)
	}
}
