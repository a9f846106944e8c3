package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
)

// newSecret returns 256 random bits, base64url-encoded: refresh tokens and
// email-link tokens.
func newSecret(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret is how secrets are stored and looked up. The secrets carry 256
// random bits, so a fast hash is enough: nothing can be guessed offline.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// hashFingerprint hashes an X-Device-Fingerprint header for storage.
func hashFingerprint(fp string) string {
	if fp == "" {
		return ""
	}
	h := sha256.Sum256([]byte("usermgmt/fingerprint\x00" + fp))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// sameFingerprint compares a stored fingerprint hash with a presented
// header in constant time.
func sameFingerprint(stored, presented string) bool {
	if stored == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(hashFingerprint(presented))) == 1
}
