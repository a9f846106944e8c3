package avatars

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// minKeySize is the shortest Config.SigningKey accepted.
const minKeySize = 32

// The store-kept signing key, used when the host configures none. It sits
// among the signing keys under an algorithm no token verifier accepts.
const (
	storeKeyID        = "usermgmt-avatar-upload-key"
	storeKeyAlgorithm = "HMAC-SHA256-UPLOAD"
)

// DeriveKey derives the upload-signing key from secret material the host
// already keeps safe (its encryption key or HS256 secret) with
// HKDF-SHA256, so that a host configures one secret, not one per feature.
func DeriveKey(material []byte) []byte {
	key, err := hkdf.Key(sha256.New, material, nil, "usermgmt/avatars upload signing key v1", minKeySize)
	if err != nil {
		panic("avatars: derive key: " + err.Error()) // only a huge length fails
	}
	return key
}

// signingKey resolves the key of upload signatures once: the configured
// one, else the one in the store, created by the first instance that
// needs it.
type signingKey struct {
	st         store.Store
	random     io.Reader
	now        func() time.Time
	configured []byte

	mu     sync.Mutex
	loaded []byte
}

func (k *signingKey) get(ctx context.Context) ([]byte, error) {
	if k.configured != nil {
		return k.configured, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.loaded != nil {
		return k.loaded, nil
	}
	key, err := k.find(ctx)
	if err == nil && key == nil {
		key, err = k.create(ctx)
	}
	if err != nil {
		return nil, err
	}
	k.loaded = key
	return key, nil
}

func (k *signingKey) find(ctx context.Context) ([]byte, error) {
	rows, err := k.st.SigningKeys().List(ctx, k.now())
	if err != nil {
		return nil, fmt.Errorf("avatars: load signing key: %w", err)
	}
	for _, r := range rows {
		if r.ID == storeKeyID && r.Algorithm == storeKeyAlgorithm && len(r.PrivateKey) >= minKeySize {
			return r.PrivateKey, nil
		}
	}
	return nil, nil
}

// create stores a new random key; instances racing to create it all end
// with the one that won.
func (k *signingKey) create(ctx context.Context) ([]byte, error) {
	key := make([]byte, minKeySize)
	if _, err := io.ReadFull(k.random, key); err != nil {
		return nil, fmt.Errorf("avatars: random: %w", err)
	}
	err := k.st.SigningKeys().Create(ctx, &store.SigningKey{
		ID: storeKeyID, Algorithm: storeKeyAlgorithm, PrivateKey: key, CreatedAt: k.now(),
	})
	if errors.Is(err, store.ErrConflict) {
		key, err = k.find(ctx)
		if err == nil && key == nil {
			err = errors.New("avatars: signing key vanished after a conflict")
		}
		return key, err
	}
	if err != nil {
		return nil, fmt.Errorf("avatars: store signing key: %w", err)
	}
	return key, nil
}
