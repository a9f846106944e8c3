package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/usermgmt/usermgmt/store"
)

// tokenKey is one key of a keyset.
type tokenKey struct {
	kid     string
	private any // crypto.Signer, or []byte for HS256; what jws.Sign takes
	public  any // ed25519.PublicKey, *ecdsa.PublicKey, or []byte for HS256
	// retireAt, when not zero, is when the key stops verifying.
	retireAt time.Time
}

// keyset is an immutable snapshot of the keys; Tokens swaps whole keysets
// atomically, so the hot path reads them without locking.
type keyset struct {
	byKid  map[string]*tokenKey
	order  []*tokenKey // newest first, as the store lists them
	signer *tokenKey
	// refreshAt is when store-held keys are to be reloaded; zero for
	// host-held keys and secrets, which never change.
	refreshAt time.Time
}

// lookup returns the key named kid if it still verifies at now.
func (ks *keyset) lookup(kid string, now time.Time) *tokenKey {
	k := ks.byKid[kid]
	if k == nil || (!k.retireAt.IsZero() && !now.Before(k.retireAt)) {
		return nil
	}
	return k
}

func (ks *keyset) valid(kid string, now time.Time) bool { return ks.lookup(kid, now) != nil }

func newKeyset(keys []*tokenKey, signer *tokenKey) *keyset {
	ks := &keyset{byKid: make(map[string]*tokenKey, len(keys)), order: keys, signer: signer}
	for _, k := range keys {
		ks.byKid[k.kid] = k
	}
	return ks
}

// secretKeyset holds the HS256 secret. Its kid is a MAC of a constant under
// the secret, so it names the secret without revealing anything about it.
func secretKeyset(secret []byte) *keyset {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("usermgmt access-token kid"))
	k := &tokenKey{kid: base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]), private: secret, public: secret}
	return newKeyset([]*tokenKey{k}, k)
}

// hostKeyset holds the host's keys; each key's kid is its RFC 7638
// thumbprint.
func hostKeyset(alg jwa.SignatureAlgorithm, signers []crypto.Signer) (*keyset, error) {
	keys := make([]*tokenKey, 0, len(signers))
	seen := map[string]bool{}
	for i, s := range signers {
		if s == nil || signerAlgorithm(s) != alg.String() {
			return nil, fmt.Errorf("Keys[%d] (%T) is not a %s key", i, s, alg)
		}
		k, err := newTokenKey(s)
		if err != nil {
			return nil, fmt.Errorf("Keys[%d]: %w", i, err)
		}
		if seen[k.kid] {
			return nil, fmt.Errorf("Keys[%d] repeats an earlier key", i)
		}
		seen[k.kid] = true
		keys = append(keys, k)
	}
	return newKeyset(keys, keys[0]), nil
}

// signerAlgorithm names the JWS algorithm of s's public key: "EdDSA",
// "ES256" (P-256 only), or "" for anything else.
func signerAlgorithm(s crypto.Signer) string {
	if s == nil {
		return ""
	}
	switch pub := s.Public().(type) {
	case ed25519.PublicKey:
		if len(pub) == ed25519.PublicKeySize {
			return "EdDSA"
		}
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() {
			return "ES256"
		}
	}
	return ""
}

func newTokenKey(s crypto.Signer) (*tokenKey, error) {
	kid, err := thumbprint(s.Public())
	if err != nil {
		return nil, err
	}
	return &tokenKey{kid: kid, private: s, public: s.Public()}, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of a public key, base64url.
func thumbprint(pub crypto.PublicKey) (string, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

func generateSigner(alg jwa.SignatureAlgorithm) (crypto.Signer, error) {
	if alg == jwa.ES256 {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

// newStoreKey generates a key and its store row: PKCS#8 DER, with the
// thumbprint as ID (the kid).
func (t *Tokens) newStoreKey(now time.Time) (*store.SigningKey, error) {
	s, err := generateSigner(t.alg)
	if err != nil {
		return nil, fmt.Errorf("auth: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(s)
	if err != nil {
		return nil, fmt.Errorf("auth: encode signing key: %w", err)
	}
	kid, err := thumbprint(s.Public())
	if err != nil {
		return nil, fmt.Errorf("auth: signing key: %w", err)
	}
	return &store.SigningKey{ID: kid, Algorithm: t.alg.String(), PrivateKey: der, CreatedAt: now}, nil
}

// parseStoreKey turns a store row of the configured algorithm into a key.
func (t *Tokens) parseStoreKey(sk store.SigningKey) (*tokenKey, error) {
	priv, err := x509.ParsePKCS8PrivateKey(sk.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("auth: signing key %s: %w", sk.ID, err)
	}
	s, ok := priv.(crypto.Signer)
	if !ok || signerAlgorithm(s) != t.alg.String() {
		return nil, fmt.Errorf("auth: signing key %s is a %T, not a %s key", sk.ID, priv, t.alg)
	}
	k := &tokenKey{kid: sk.ID, private: s, public: s.Public()}
	if sk.RetireAt != nil {
		k.retireAt = *sk.RetireAt
	}
	return k, nil
}

// keyset returns the current keys, loading them on first use and reloading
// store-held keys every KeyRefresh. Only the first load blocks on the
// mutex; a due refresh is done by whichever caller gets the mutex first,
// while the others go on with the keys they have.
func (t *Tokens) keyset(ctx context.Context, now time.Time) (*keyset, error) {
	ks := t.keys.Load()
	if ks != nil && (t.static || now.Before(ks.refreshAt)) {
		return ks, nil
	}
	if ks == nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		if ks = t.keys.Load(); ks != nil {
			return ks, nil
		}
		return t.loadLocked(ctx, now)
	}
	if !t.mu.TryLock() {
		return ks, nil
	}
	defer t.mu.Unlock()
	if ks = t.keys.Load(); now.Before(ks.refreshAt) {
		return ks, nil
	}
	nks, err := t.loadLocked(ctx, now)
	if err != nil {
		// Keep verifying with the keys we have; retry soon.
		stale := *ks
		stale.refreshAt = now.Add(min(t.keyRefresh, failedReloadRetry))
		t.keys.Store(&stale)
		return &stale, nil
	}
	return nks, nil
}

// reloadForKid reloads store-held keys because a token names a kid we do
// not know, perhaps that of a key another instance just made. Such reloads
// happen at most once per forcedReloadEvery, so garbage kids cannot cause a
// reload storm; a caller arriving while one is in flight waits for it. It
// returns the latest keys, or nil when there are no new ones to try.
func (t *Tokens) reloadForKid(ctx context.Context, now time.Time) *keyset {
	if t.static {
		return nil
	}
	for {
		if f := t.forced.Load(); f != nil {
			<-f.done
			return f.ks
		}
		if now.UnixNano()-t.lastForced.Load() < int64(forcedReloadEvery) {
			return t.keys.Load() // another caller's reload may just have ended
		}
		f := &reloadFlight{done: make(chan struct{})}
		if !t.forced.CompareAndSwap(nil, f) {
			continue
		}
		t.lastForced.Store(now.UnixNano())
		t.mu.Lock()
		f.ks, _ = t.loadLocked(ctx, now)
		t.mu.Unlock()
		t.forced.Store(nil)
		close(f.done)
		return f.ks
	}
}

// reloadFlight is a kid-forced reload in progress; ks is set (nil on
// failure) before done is closed.
type reloadFlight struct {
	done chan struct{}
	ks   *keyset
}

// loadLocked reads the store's keys of the configured algorithm, creating
// one when none may sign, and publishes them. Two instances starting at
// once may each create a key: both keys verify and the newer one signs.
func (t *Tokens) loadLocked(ctx context.Context, now time.Time) (*keyset, error) {
	ks, err := t.readStore(ctx, now)
	if err != nil {
		return nil, err
	}
	if ks.signer == nil {
		sk, err := t.newStoreKey(now)
		if err != nil {
			return nil, err
		}
		if err := t.st.SigningKeys().Create(ctx, sk); err != nil {
			return nil, fmt.Errorf("auth: save signing key: %w", err)
		}
		if ks, err = t.readStore(ctx, now); err != nil {
			return nil, err
		}
		if ks.signer == nil {
			return nil, errors.New("auth: the signing key just saved is not listed")
		}
	}
	ks.refreshAt = now.Add(t.keyRefresh)
	t.keys.Store(ks)
	return ks, nil
}

// readStore lists the usable keys. The signer is the newest key not being
// retired, or nil when there is none.
func (t *Tokens) readStore(ctx context.Context, now time.Time) (*keyset, error) {
	rows, err := t.st.SigningKeys().List(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("auth: load signing keys: %w", err)
	}
	keys := make([]*tokenKey, 0, len(rows))
	var signer *tokenKey
	for _, row := range rows {
		if row.Algorithm != t.alg.String() {
			continue // left by an earlier configuration; never accepted
		}
		k, err := t.parseStoreKey(row)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
		if signer == nil && k.retireAt.IsZero() {
			signer = k
		}
	}
	return newKeyset(keys, signer), nil
}

// Rotate makes a new store-held key that signs from now on. The keys it
// replaces keep verifying until every token they may still sign has
// expired: now + KeyRefresh (other instances may sign with them until they
// reload) + TTL + Leeway; then they are retired. Rotate fails for host-held
// keys and HS256, which the host rotates by configuration.
func (t *Tokens) Rotate(ctx context.Context) error {
	if t.static {
		return errors.New("auth: rotate: keys are host-held (Keys or Secret); change the configuration instead")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	sk, err := t.newStoreKey(now)
	if err != nil {
		return err
	}
	retireAt := now.Add(t.keyRefresh + t.ttl + t.leeway)
	err = t.st.InTx(ctx, func(tx store.Repos) error {
		old, err := tx.SigningKeys().List(ctx, now)
		if err != nil {
			return err
		}
		if err := tx.SigningKeys().Create(ctx, sk); err != nil {
			return err
		}
		for _, k := range old {
			if k.Algorithm != t.alg.String() || k.RetireAt != nil {
				continue
			}
			if err := tx.SigningKeys().Retire(ctx, k.ID, retireAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: rotate signing key: %w", err)
	}
	if _, err := t.loadLocked(ctx, now); err != nil {
		return err
	}
	return nil
}

// JWKS returns the JSON Web Key Set that verifies access tokens: every
// public key still verifying, newest first, with kid, alg and use "sig".
// With HS256 there is nothing to publish and the set is empty.
func (t *Tokens) JWKS(ctx context.Context) ([]byte, error) {
	now := t.now()
	ks, err := t.keyset(ctx, now)
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if t.alg != jwa.HS256 {
		for _, k := range ks.order {
			if ks.lookup(k.kid, now) == nil {
				continue
			}
			pub, err := jwk.FromRaw(k.public)
			if err != nil {
				return nil, fmt.Errorf("auth: jwks: %w", err)
			}
			for name, v := range map[string]any{jwk.KeyIDKey: k.kid, jwk.AlgorithmKey: t.alg, jwk.KeyUsageKey: jwk.ForSignature} {
				if err := pub.Set(name, v); err != nil {
					return nil, fmt.Errorf("auth: jwks: %w", err)
				}
			}
			if err := set.AddKey(pub); err != nil {
				return nil, fmt.Errorf("auth: jwks: %w", err)
			}
		}
	}
	return json.Marshal(set)
}
