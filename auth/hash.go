package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"github.com/usermgmt/usermgmt/store"
)

// Hasher turns passwords into encoded hashes that record their algorithm
// and parameters, and checks passwords against them.
type Hasher interface {
	// Hash returns the encoded hash of password.
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded, which this Hasher
	// produced (possibly with other parameters). It returns an error only
	// for a malformed or foreign encoding.
	Verify(encoded, password string) (bool, error)
	// NeedsRehash reports whether encoded was made by another algorithm or
	// with other parameters than Hash uses now.
	NeedsRehash(encoded string) bool
}

// ErrUnknownHash is returned for an encoded hash no known Hasher made.
var ErrUnknownHash = errors.New("auth: unknown password hash format")

// bcryptPrefix marks bcrypt over a pre-hash of the password. bcrypt reads
// only 72 bytes, so long passwords would be truncated silently; a keyed
// SHA-256 of the password (44 base64 characters, no NUL bytes) is what goes
// into bcrypt instead.
const bcryptPrefix = "$bcrypt-sha256$"

// Bcrypt hashes with bcrypt over an HMAC-SHA256 pre-hash.
type Bcrypt struct {
	// Cost is the bcrypt cost. Zero means 12.
	Cost int
}

func (b Bcrypt) cost() int {
	if b.Cost == 0 {
		return 12
	}
	return b.Cost
}

func prehash(password string) []byte {
	mac := hmac.New(sha256.New, []byte("usermgmt/bcrypt-sha256"))
	mac.Write([]byte(password))
	out := make([]byte, base64.StdEncoding.EncodedLen(sha256.Size))
	base64.StdEncoding.Encode(out, mac.Sum(nil))
	return out
}

// Hash implements Hasher.
func (b Bcrypt) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(prehash(password), b.cost())
	if err != nil {
		return "", fmt.Errorf("auth: bcrypt: %w", err)
	}
	return bcryptPrefix + string(h), nil
}

// Verify implements Hasher.
func (b Bcrypt) Verify(encoded, password string) (bool, error) {
	h, ok := strings.CutPrefix(encoded, bcryptPrefix)
	if !ok {
		return false, ErrUnknownHash
	}
	err := bcrypt.CompareHashAndPassword([]byte(h), prehash(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("auth: bcrypt: %w", err)
}

// NeedsRehash implements Hasher.
func (b Bcrypt) NeedsRehash(encoded string) bool {
	h, ok := strings.CutPrefix(encoded, bcryptPrefix)
	if !ok {
		return true
	}
	cost, err := bcrypt.Cost([]byte(h))
	return err != nil || cost != b.cost()
}

// Argon2id hashes with argon2id, encoded in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
type Argon2id struct {
	// Memory in KiB; zero means 64 MiB.
	Memory uint32
	// Time is the number of passes; zero means 3.
	Time uint32
	// Threads; zero means 2.
	Threads uint8
}

func (a Argon2id) params() (m, t uint32, p uint8) {
	m, t, p = a.Memory, a.Time, a.Threads
	if m == 0 {
		m = 64 * 1024
	}
	if t == 0 {
		t = 3
	}
	if p == 0 {
		p = 2
	}
	return m, t, p
}

var b64 = base64.RawStdEncoding

// Hash implements Hasher.
func (a Argon2id) Hash(password string) (string, error) {
	m, t, p := a.params()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, t, m, p, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

type argonHash struct {
	m, t uint32
	p    uint8
	salt []byte
	key  []byte
}

func parseArgon2id(encoded string) (argonHash, error) {
	parts := strings.Split(encoded, "$")
	var h argonHash
	var version int
	if len(parts) != 6 || parts[1] != "argon2id" {
		return h, ErrUnknownHash
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, ErrUnknownHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.m, &h.t, &h.p); err != nil {
		return h, ErrUnknownHash
	}
	var err1, err2 error
	h.salt, err1 = b64.DecodeString(parts[4])
	h.key, err2 = b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.key) == 0 || h.t == 0 || h.p == 0 {
		return h, ErrUnknownHash
	}
	return h, nil
}

// Verify implements Hasher.
func (a Argon2id) Verify(encoded, password string) (bool, error) {
	h, err := parseArgon2id(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// NeedsRehash implements Hasher.
func (a Argon2id) NeedsRehash(encoded string) bool {
	h, err := parseArgon2id(encoded)
	if err != nil {
		return true
	}
	m, t, p := a.params()
	return h.m != m || h.t != t || h.p != p
}

// Passwords hashes with a preferred Hasher and verifies hashes of any
// known algorithm, so a host can change algorithms without locking users
// out: a login re-hashes when NeedsRehash says so.
type Passwords struct {
	Preferred Hasher
}

func (p Passwords) hasherFor(encoded string) Hasher {
	switch {
	case strings.HasPrefix(encoded, bcryptPrefix):
		if b, ok := p.Preferred.(Bcrypt); ok {
			return b
		}
		return Bcrypt{}
	case strings.HasPrefix(encoded, "$argon2id$"):
		if a, ok := p.Preferred.(Argon2id); ok {
			return a
		}
		return Argon2id{}
	case isLegacyBcrypt(encoded):
		return legacyBcrypt{}
	}
	return p.Preferred
}

// Hash hashes the NFC form of password with the preferred Hasher, so the
// same password typed on devices that compose characters differently
// matches (NIST SP 800-63B asks for normalisation).
func (p Passwords) Hash(password string) (string, error) {
	return p.Preferred.Hash(norm.NFC.String(password))
}

// Verify checks the NFC form of password against a hash of any known
// algorithm.
func (p Passwords) Verify(encoded, password string) (bool, error) {
	return p.hasherFor(encoded).Verify(encoded, norm.NFC.String(password))
}

// NeedsRehash reports whether encoded should be replaced by a hash from
// the preferred Hasher.
func (p Passwords) NeedsRehash(encoded string) bool { return p.Preferred.NeedsRehash(encoded) }

// Check reports whether password is u's. For a nil u, or one without a
// password (invited, or signed up elsewhere), it reports false after the
// same work as a real check: it hashes password with the preferred Hasher,
// which costs what checking it against such a hash costs, so the answer
// takes as long whether or not the account exists or has a password. The
// error is for a hash no known Hasher made; ok is false then.
func (p Passwords) Check(u *store.User, password string) (ok bool, err error) {
	if u == nil || u.PasswordHash == "" {
		_, _ = p.Hash(password)
		return false, nil
	}
	return p.Verify(u.PasswordHash, password)
}
