// Package seal encrypts small secrets at rest with AES-256-GCM: TOTP
// secrets (package twofa) and store-held token-signing keys (package auth).
// One copy of this code serves both, so the format and its checks cannot
// drift apart.
//
// A sealed value is a version byte, a random 96-bit nonce, then the
// ciphertext and the GCM tag. The caller's additional data (a user id, a
// key id) is authenticated but not stored, so a value copied to another
// row does not open.
//
//	sealed, err := seal.Seal(key, rand.Reader, []byte("purpose\x00"+id), secret)
//	secret, i, err := seal.Open([][]byte{key, oldKey}, []byte("purpose\x00"+id), sealed)
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// Version is the first byte of every sealed value, so that the format can
// change.
const Version byte = 1

// ErrUnsealable is returned when no key opens a sealed value: the key
// changed, or the value was tampered with or moved to another row.
var ErrUnsealable = errors.New("seal: no key opens the sealed value")

// Seal encrypts plaintext under key, binding it to aad. Every call draws a
// fresh nonce from random, so sealing the same value twice gives different
// results.
func Seal(key []byte, random io.Reader, aad, plaintext []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = Version
	if _, err := io.ReadFull(random, out[1:]); err != nil {
		return nil, fmt.Errorf("seal: random: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, aad), nil
}

// Open decrypts sealed with the first of keys that opens it for aad, and
// says which key that was, so that a caller can reseal under keys[0] what
// an older key opened. It returns an error matching ErrUnsealable when no
// key opens it.
func Open(keys [][]byte, aad, sealed []byte) (plaintext []byte, keyIndex int, err error) {
	if !IsSealed(sealed) {
		return nil, 0, ErrUnsealable
	}
	for i, key := range keys {
		aead, err := newAEAD(key)
		if err != nil {
			return nil, 0, err
		}
		if len(sealed) < 1+aead.NonceSize()+aead.Overhead() {
			return nil, 0, ErrUnsealable
		}
		nonce, ct := sealed[1:1+aead.NonceSize()], sealed[1+aead.NonceSize():]
		if plaintext, err := aead.Open(nil, nonce, ct, aad); err == nil {
			return plaintext, i, nil
		}
	}
	return nil, 0, ErrUnsealable
}

// IsSealed reports whether b starts as a sealed value does. It tells
// sealed values from formats that never start with Version, such as DER
// (which starts with 0x30); it does not say that b opens.
func IsSealed(b []byte) bool { return len(b) > 0 && b[0] == Version }

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: cipher: %w", err)
	}
	return cipher.NewGCM(block)
}
