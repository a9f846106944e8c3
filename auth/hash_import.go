package auth

import (
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// legacyBcryptPrefixes mark plain bcrypt, as other systems store it
// (PHP, Node, Ruby, Django's bcrypt without SHA-256).
var legacyBcryptPrefixes = []string{"$2a$", "$2b$", "$2y$"}

// legacyBcrypt verifies plain bcrypt hashes, so that users imported with
// one sign in without a reset; their first login replaces the hash with
// one of the preferred Hasher (NeedsRehash is always true). It never
// makes new hashes.
type legacyBcrypt struct{}

// Hash implements Hasher: plain bcrypt truncates long passwords, so it is
// only ever verified.
func (legacyBcrypt) Hash(string) (string, error) {
	return "", errors.New("auth: plain bcrypt is only verified, never made")
}

// Verify implements Hasher. Like the systems that made such hashes, it
// reads the first 72 bytes of the password only.
func (legacyBcrypt) Verify(encoded, password string) (bool, error) {
	pw := []byte(password)
	if len(pw) > 72 {
		pw = pw[:72]
	}
	err := bcrypt.CompareHashAndPassword([]byte(encoded), pw)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, ErrUnknownHash
}

// NeedsRehash implements Hasher.
func (legacyBcrypt) NeedsRehash(string) bool { return true }

func isLegacyBcrypt(encoded string) bool {
	for _, p := range legacyBcryptPrefixes {
		if strings.HasPrefix(encoded, p) {
			return true
		}
	}
	return false
}

// Bounds on the cost of an imported hash. Every login verifies it, so a
// hash with a huge cost would let whoever imports it stall logins.
const (
	maxImportBcryptCost    = 15
	maxImportArgon2Memory  = 256 * 1024 // KiB
	maxImportArgon2Time    = 10
	maxImportArgon2Threads = 16
)

// ErrImportedHash is returned by CheckImportedHash for a hash that cannot
// be imported.
var ErrImportedHash = errors.New("must be an argon2id PHC hash or a bcrypt hash ($2a$, $2b$, $2y$) of bounded cost")

// IsPasswordHash reports whether s is written as an encoded hash rather
// than a password: it begins with $argon2id$, $2a$, $2b$, $2y$ or this
// library's $bcrypt-sha256$.
func IsPasswordHash(s string) bool {
	return strings.HasPrefix(s, "$argon2id$") || strings.HasPrefix(s, bcryptPrefix) || isLegacyBcrypt(s)
}

// CheckImportedHash returns nil when encoded is a hash Passwords verifies
// at login and of bounded cost: argon2id in PHC form (at most 256 MiB, 10
// passes, 16 threads), plain bcrypt or this library's bcrypt-sha256 (cost
// at most 15). Anything else is ErrImportedHash.
func CheckImportedHash(encoded string) error {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		h, err := parseArgon2id(encoded)
		if err != nil || len(h.salt) < 8 || h.m > maxImportArgon2Memory || h.t > maxImportArgon2Time || h.p > maxImportArgon2Threads {
			return ErrImportedHash
		}
		return nil
	case isLegacyBcrypt(encoded):
		return checkBcryptCost(encoded)
	case strings.HasPrefix(encoded, bcryptPrefix):
		return checkBcryptCost(strings.TrimPrefix(encoded, bcryptPrefix))
	}
	return ErrImportedHash
}

func checkBcryptCost(h string) error {
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil || len(h) != 60 || cost > maxImportBcryptCost {
		return ErrImportedHash
	}
	return nil
}
