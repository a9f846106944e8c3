package twofa

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	sealing "github.com/usermgmt/usermgmt/internal/seal"
	"github.com/usermgmt/usermgmt/store"
)

// KeySize is the length of the encryption key: AES-256.
const KeySize = sealing.KeySize

// Store-kept key: the fallback when the host provides no key material.
const (
	storeKeyID        = "usermgmt-encryption-key"
	storeKeyAlgorithm = "A256GCM"
)

// sealVersion prefixes every sealed secret, so that the format can change.
const sealVersion = sealing.Version

// DeriveKey derives a 32-byte encryption key from secret material the host
// already keeps safe, such as an HS256 secret or a private signing key in
// PKCS#8 form, with HKDF-SHA256. The same material always gives the same
// key, and the key reveals nothing about the material.
func DeriveKey(material []byte) []byte {
	key, err := hkdf.Key(sha256.New, material, nil, "usermgmt/twofa encryption key v1", KeySize)
	if err != nil {
		// Only a keyLength beyond 255*32 bytes fails.
		panic("twofa: derive key: " + err.Error())
	}
	return key
}

// keyring holds the keys that seal TOTP secrets and key the hashes of
// backup and sent codes. The first seals and hashes; every key opens and
// matches, so a host can rotate keys without losing enrolments.
type keyring struct {
	st     store.Store
	random io.Reader
	now    func() time.Time

	configured [][]byte // from Config: Key then PreviousKeys; nil when the key is store-kept

	mu     sync.Mutex
	loaded [][]byte // resolved keys, first one current
}

// keys returns the keys, first the one that seals. A store-kept key is
// read, or created once for every instance, on first use; with configured
// keys a store-kept key left from an earlier configuration still opens.
func (k *keyring) keys(ctx context.Context) ([][]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.loaded != nil {
		return k.loaded, nil
	}
	create := len(k.configured) == 0
	stored, err := storeKey(ctx, k.st, k.random, k.now(), create)
	if err != nil {
		return nil, err
	}
	keys := append([][]byte(nil), k.configured...)
	if stored != nil {
		keys = append(keys, stored)
	}
	k.loaded = keys
	return keys, nil
}

// storeKey reads the store-kept key and, when create is set and there is
// none, makes it. Instances racing to create it all end with the one that
// won.
func storeKey(ctx context.Context, st store.Store, random io.Reader, now time.Time, create bool) ([]byte, error) {
	find := func() ([]byte, error) {
		rows, err := st.SigningKeys().List(ctx, now)
		if err != nil {
			return nil, fmt.Errorf("twofa: load encryption key: %w", err)
		}
		for _, r := range rows {
			if r.ID == storeKeyID && r.Algorithm == storeKeyAlgorithm && len(r.PrivateKey) == KeySize {
				return r.PrivateKey, nil
			}
		}
		return nil, nil
	}
	key, err := find()
	if err != nil || key != nil || !create {
		return key, err
	}
	key = make([]byte, KeySize)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("twofa: random: %w", err)
	}
	err = st.SigningKeys().Create(ctx, &store.SigningKey{
		ID: storeKeyID, Algorithm: storeKeyAlgorithm, PrivateKey: key, CreatedAt: now,
	})
	if errors.Is(err, store.ErrConflict) {
		if key, err = find(); err == nil && key == nil {
			err = errors.New("twofa: encryption key vanished after a conflict")
		}
		return key, err
	}
	if err != nil {
		return nil, fmt.Errorf("twofa: store encryption key: %w", err)
	}
	return key, nil
}

// sealAAD binds a sealed secret to its user, so that a sealed secret copied
// to another user's row does not open.
func sealAAD(userID string) []byte { return []byte("usermgmt/totp\x00" + userID) }

// seal encrypts secret with AES-256-GCM under key (see internal/seal: a
// version byte, a random 96-bit nonce, then the ciphertext and tag).
func seal(key []byte, random io.Reader, userID string, secret []byte) ([]byte, error) {
	sealed, err := sealing.Seal(key, random, sealAAD(userID), secret)
	if err != nil {
		return nil, fmt.Errorf("twofa: %w", err)
	}
	return sealed, nil
}

// errUnsealable is returned when no key opens a sealed secret: the key
// changed, or the row was tampered with or moved to another user.
var errUnsealable = fmt.Errorf("twofa: no key opens the sealed TOTP secret; was the encryption key changed? (%w)", sealing.ErrUnsealable)

// open decrypts a sealed secret with the first key that opens it and says
// which one that was.
func open(keys [][]byte, userID string, sealed []byte) (secret []byte, keyIndex int, err error) {
	secret, keyIndex, err = sealing.Open(keys, sealAAD(userID), sealed)
	switch {
	case errors.Is(err, sealing.ErrUnsealable):
		return nil, 0, errUnsealable
	case err != nil:
		return nil, 0, fmt.Errorf("twofa: %w", err)
	}
	return secret, keyIndex, nil
}

// keyedHash is how backup codes and sent codes are stored: HMAC-SHA256
// under the encryption key. Backup codes carry 40 bits and sent codes 20,
// so a plain hash in a database dump would fall to brute force; without
// the key it cannot be tested offline at all.
func keyedHash(key []byte, purpose, userID, code string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("usermgmt/" + purpose + "\x00" + userID + "\x00" + code))
	return mac.Sum(nil)
}
