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

	"github.com/usermgmt/usermgmt/internal/seal"
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

// newStoreKey generates a key and its store row: PKCS#8 DER, sealed when
// encryption keys are configured, with the thumbprint as ID (the kid).
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
	stored := der
	if len(t.sealKeys) > 0 {
		if stored, err = seal.Seal(t.sealKeys[0], rand.Reader, keyAAD(kid), der); err != nil {
			return nil, fmt.Errorf("auth: seal signing key: %w", err)
		}
	}
	return &store.SigningKey{ID: kid, Algorithm: t.alg.String(), PrivateKey: stored, CreatedAt: now}, nil
}

// keyAAD binds a sealed private key to its kid, so that a sealed key
// copied to another row does not open.
func keyAAD(kid string) []byte { return []byte("usermgmt/signing-key\x00" + kid) }

// parseStoreKey turns a store row of the configured algorithm into a key.
// The row holds PKCS#8 DER, which starts with 0x30, or that sealed, which
// starts with seal.Version. resealed, when not nil, is what the row should
// hold instead: the key sealed under the first encryption key, because it
// was in clear or opened only with an older key.
func (t *Tokens) parseStoreKey(sk store.SigningKey) (k *tokenKey, resealed []byte, err error) {
	der := sk.PrivateKey
	if seal.IsSealed(der) {
		if len(t.sealKeys) == 0 {
			return nil, nil, fmt.Errorf("auth: signing key %s is sealed and no encryption key is configured (usermgmt.WithEncryptionKey)", sk.ID)
		}
		var used int
		der, used, err = seal.Open(t.sealKeys, keyAAD(sk.ID), der)
		if errors.Is(err, seal.ErrUnsealable) {
			return nil, nil, fmt.Errorf("auth: no encryption key opens signing key %s; was the key changed? (%w)", sk.ID, err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("auth: signing key %s: %w", sk.ID, err)
		}
		if used > 0 {
			resealed = der
		}
	} else if len(t.sealKeys) > 0 {
		resealed = der
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: signing key %s: %w", sk.ID, err)
	}
	s, ok := priv.(crypto.Signer)
	if !ok || signerAlgorithm(s) != t.alg.String() {
		return nil, nil, fmt.Errorf("auth: signing key %s is a %T, not a %s key", sk.ID, priv, t.alg)
	}
	if resealed != nil {
		if resealed, err = seal.Seal(t.sealKeys[0], rand.Reader, keyAAD(sk.ID), der); err != nil {
			return nil, nil, fmt.Errorf("auth: seal signing key %s: %w", sk.ID, err)
		}
	}
	k = &tokenKey{kid: sk.ID, private: s, public: s.Public()}
	if sk.RetireAt != nil {
		k.retireAt = *sk.RetireAt
	}
	return k, resealed, nil
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
// retired, or nil when there is none. Keys that parseStoreKey wants
// resealed are written back sealed; a failed write is retried at the next
// load, as the key in hand works either way.
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
		k, resealed, err := t.parseStoreKey(row)
		if err != nil {
			return nil, err
		}
		if resealed != nil {
			_ = t.st.SigningKeys().SetPrivateKey(ctx, row.ID, resealed)
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
