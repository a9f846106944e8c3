package testkit

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// HOTP is RFC 4226 (HMAC-SHA-1, dynamic truncation) written out
// independently of the code under test: the code of secret at counter,
// with digits digits.
func HOTP(secret []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := uint32(sum[off]&0x7f)<<24 | uint32(sum[off+1])<<16 | uint32(sum[off+2])<<8 | uint32(sum[off+3])
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// TOTP is the six-digit RFC 6238 code (30-second steps) of a base32 secret
// without padding, as authenticator apps read it, at the time at shifted by
// steps steps. A secret that does not decode fails the test.
func TOTP(t testing.TB, secretB32 string, at time.Time, steps int64) string {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secretB32)
	require.NoError(t, err)
	return HOTP(secret, uint64(at.Unix()/30+steps), 6)
}
