package store

import (
	"context"
	"time"
)

// SigningKey is a key that signs access tokens. PrivateKey is PKCS#8 DER
// (or the raw secret for HS256), or that sealed under the host's
// encryption key (package auth decides); the newest unretired key signs,
// and every key not past RetireAt still verifies.
type SigningKey struct {
	ID         string // the JWS kid
	Algorithm  string // EdDSA, ES256 or HS256
	PrivateKey []byte
	CreatedAt  time.Time
	// RetireAt, when set, is when the key stops verifying.
	RetireAt *time.Time
}

// SigningKeyStore persists signing keys shared by every instance.
type SigningKeyStore interface {
	// Create inserts k; ErrConflict when the ID exists.
	Create(ctx context.Context, k *SigningKey) error
	// List returns every key not retired at now, newest first.
	List(ctx context.Context, now time.Time) ([]SigningKey, error)
	// Retire sets the key's RetireAt.
	Retire(ctx context.Context, id string, at time.Time) error
	// SetPrivateKey replaces the key's PrivateKey, to seal a key stored in
	// clear; ErrNotFound when there is no such key.
	SetPrivateKey(ctx context.Context, id string, privateKey []byte) error
}
