package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/usermgmt/usermgmt/internal/seal"
	"github.com/usermgmt/usermgmt/store"
)

// Claims are what an access token says.
type Claims struct {
	UserID    string   // sub
	SessionID string   // sid
	Roles     []string // roles: role names
	// ActorID is act.sub: the admin impersonating UserID, "" otherwise.
	ActorID string
	// TokenID is the jti: 128 random bits, base64url.
	TokenID string
	// IssuedAt is iat (and nbf); ExpiresAt is exp. Both are UTC, in whole
	// seconds when Issue made them.
	IssuedAt, ExpiresAt time.Time
}

// TokenConfig configures Tokens. Zero values take the defaults named per
// field.
type TokenConfig struct {
	// Issuer (iss) and Audience (aud) are required; Verify demands both.
	Issuer, Audience string
	// TTL is how long access tokens live. Default 15 minutes, at most 24
	// hours.
	TTL time.Duration
	// Algorithm is "EdDSA", "ES256" or "HS256". Default: the algorithm of
	// Keys[0] when Keys are given, else "EdDSA".
	Algorithm string
	// Secret is the HS256 shared secret, at least 32 bytes; required for
	// HS256 and refused otherwise.
	Secret []byte
	// Keys are host-held signing keys (ed25519.PrivateKey for EdDSA, or
	// *ecdsa.PrivateKey on P-256 for ES256; any crypto.Signer with such a
	// public key works). Keys[0] signs; all verify. When empty, the keys
	// live in the store, shared by every instance.
	Keys []crypto.Signer
	// Leeway is the clock skew accepted on exp, nbf and iat. Default 30
	// seconds, at most 2 minutes.
	Leeway time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// CacheSize bounds the verified-token cache. Default 10000; negative
	// disables the cache.
	CacheSize int
	// KeyRefresh is how often store-held keys are reloaded, so that a
	// rotation by another instance is seen. Default 1 minute.
	KeyRefresh time.Duration
	// EncryptionKeys, 32 bytes each, seal store-held private keys at rest
	// with AES-256-GCM (a random nonce, the kid as additional data), so
	// that a read-only dump of the database cannot mint tokens. The first
	// seals; every one opens, and a key opened by a later one, or found in
	// clear (stored before a key was configured), is sealed under the
	// first when next loaded. Every instance needs the same keys: one
	// without them cannot load sealed keys. When empty, store-held keys
	// are kept in clear, as PKCS#8 DER. Ignored with Keys or Secret, which
	// the store does not hold.
	EncryptionKeys [][]byte
}

// Token limits and defaults.
const (
	defaultTokenTTL   = 15 * time.Minute
	maxTokenTTL       = 24 * time.Hour
	defaultLeeway     = 30 * time.Second
	maxLeeway         = 2 * time.Minute
	defaultCacheSize  = 10000
	defaultKeyRefresh = time.Minute
	// forcedReloadEvery rate-limits the keyset reloads that an unknown kid
	// triggers, so a stream of garbage kids costs one store query per
	// interval at most.
	forcedReloadEvery = time.Second
	// failedReloadRetry is how soon a failed periodic reload is retried.
	failedReloadRetry = 5 * time.Second
	// maxTokenLen refuses absurd inputs before any decoding.
	maxTokenLen  = 8 << 10
	minSecretLen = 32
)

// Tokens issues and verifies access tokens: JWTs signed with EdDSA, ES256 or
// HS256. It is safe for concurrent use.
type Tokens struct {
	st         store.Store
	iss, aud   string
	audJSON    []byte // aud as a JSON string, for the fast comparison
	ttl        time.Duration
	leeway     time.Duration
	keyRefresh time.Duration
	now        func() time.Time
	alg        jwa.SignatureAlgorithm
	signer     jws.Signer
	verifier   jws.Verifier
	static     bool     // Keys or Secret given: the store holds no keys
	sealKeys   [][]byte // EncryptionKeys: the first seals store-held keys

	keys       atomic.Pointer[keyset]
	mu         sync.Mutex                   // serialises keyset loads and rotations
	forced     atomic.Pointer[reloadFlight] // the kid-forced reload in flight
	lastForced atomic.Int64                 // clock (UnixNano) of the last one

	cache *tokenCache // nil when disabled
}

// NewTokens returns Tokens configured by cfg, or an error naming what is
// wrong with cfg. st may be nil when cfg.Keys or cfg.Secret is given. It
// does no I/O: store-held keys are loaded, or created, on first use.
func NewTokens(st store.Store, cfg TokenConfig) (*Tokens, error) {
	t := &Tokens{st: st, iss: cfg.Issuer, aud: cfg.Audience, ttl: cfg.TTL,
		leeway: cfg.Leeway, keyRefresh: cfg.KeyRefresh, now: cfg.Now}
	if err := t.configure(cfg); err != nil {
		return nil, fmt.Errorf("auth: token config: %w", err)
	}
	return t, nil
}

func (t *Tokens) configure(cfg TokenConfig) error {
	switch {
	case cfg.Issuer == "":
		return errors.New("Issuer is required")
	case cfg.Audience == "":
		return errors.New("Audience is required")
	case t.ttl < 0 || t.ttl > maxTokenTTL:
		return fmt.Errorf("TTL %s is outside (0, %s]", t.ttl, maxTokenTTL)
	case t.leeway < 0 || t.leeway > maxLeeway:
		return fmt.Errorf("Leeway %s is outside [0, %s]", t.leeway, maxLeeway)
	case t.keyRefresh < 0:
		return fmt.Errorf("KeyRefresh %s is negative", t.keyRefresh)
	}
	if t.ttl == 0 {
		t.ttl = defaultTokenTTL
	}
	if t.leeway == 0 {
		t.leeway = defaultLeeway
	}
	if t.keyRefresh == 0 {
		t.keyRefresh = defaultKeyRefresh
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.audJSON, _ = json.Marshal(cfg.Audience)

	alg := cfg.Algorithm
	if alg == "" {
		alg = "EdDSA"
		if len(cfg.Keys) > 0 {
			if alg = signerAlgorithm(cfg.Keys[0]); alg == "" {
				return fmt.Errorf("Keys[0] (%T) is neither an Ed25519 nor a P-256 key", cfg.Keys[0])
			}
		}
	}
	switch alg {
	case "EdDSA":
		t.alg = jwa.EdDSA
	case "ES256":
		t.alg = jwa.ES256
	case "HS256":
		t.alg = jwa.HS256
	default:
		return fmt.Errorf("Algorithm %q is not EdDSA, ES256 or HS256", cfg.Algorithm)
	}
	v, err := jws.NewVerifier(t.alg)
	if err != nil {
		return err
	}
	t.verifier = v
	if t.signer, err = jws.NewSigner(t.alg); err != nil {
		return err
	}

	switch {
	case t.alg == jwa.HS256 && len(cfg.Secret) < minSecretLen:
		return fmt.Errorf("HS256 needs a Secret of at least %d bytes", minSecretLen)
	case t.alg == jwa.HS256 && len(cfg.Keys) > 0:
		return errors.New("HS256 takes a Secret, not Keys")
	case t.alg != jwa.HS256 && len(cfg.Secret) > 0:
		return fmt.Errorf("Secret is only for HS256, not %s", t.alg)
	}
	var ks *keyset
	switch {
	case t.alg == jwa.HS256:
		ks = secretKeyset(slices.Clone(cfg.Secret))
	case len(cfg.Keys) > 0:
		if ks, err = hostKeyset(t.alg, cfg.Keys); err != nil {
			return err
		}
	case t.st == nil:
		return errors.New("a store is required unless Keys or Secret is given")
	}
	if ks != nil {
		t.static = true
		t.keys.Store(ks)
	}
	for i, k := range cfg.EncryptionKeys {
		if len(k) != seal.KeySize {
			return fmt.Errorf("EncryptionKeys[%d] has %d bytes, not %d", i, len(k), seal.KeySize)
		}
	}
	if !t.static {
		for _, k := range cfg.EncryptionKeys {
			t.sealKeys = append(t.sealKeys, slices.Clone(k))
		}
	}

	size := cfg.CacheSize
	if size == 0 {
		size = defaultCacheSize
	}
	if size > 0 {
		t.cache = newTokenCache(size)
	}
	return nil
}

// Issue signs an access token for c. It fills TokenID, IssuedAt and
// ExpiresAt and returns the token with the claims it carries. c.UserID and
// c.SessionID are required; a c.ExpiresAt earlier than IssuedAt+TTL (an
// impersonation token, say) shortens the token, and a later one is ignored.
func (t *Tokens) Issue(ctx context.Context, c Claims) (token string, claims Claims, err error) {
	if c.UserID == "" || c.SessionID == "" {
		return "", Claims{}, errors.New("auth: issue token: UserID and SessionID are required")
	}
	now := t.now()
	ks, err := t.keyset(ctx, now)
	if err != nil {
		return "", Claims{}, err
	}
	iat := time.Unix(now.Unix(), 0).UTC()
	exp := iat.Add(t.ttl)
	if !c.ExpiresAt.IsZero() && c.ExpiresAt.Before(exp) {
		exp = time.Unix(c.ExpiresAt.Unix(), 0).UTC()
		if !exp.After(iat) {
			return "", Claims{}, errors.New("auth: issue token: ExpiresAt is not in the future")
		}
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", Claims{}, fmt.Errorf("auth: issue token: %w", err)
	}
	c.TokenID = base64.RawURLEncoding.EncodeToString(id[:])
	c.IssuedAt, c.ExpiresAt = iat, exp
	c.Roles = slices.Clone(c.Roles)

	w := wireClaims{Iss: t.iss, Sub: c.UserID, Aud: t.aud, Iat: iat.Unix(), Nbf: iat.Unix(),
		Exp: exp.Unix(), Jti: c.TokenID, Sid: c.SessionID, Roles: c.Roles}
	if w.Roles == nil {
		w.Roles = []string{}
	}
	if c.ActorID != "" {
		w.Act = &wireActor{Sub: c.ActorID}
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return "", Claims{}, fmt.Errorf("auth: issue token: %w", err)
	}
	signed, err := t.sign(ks.signer, payload)
	if err != nil {
		return "", Claims{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, c, nil
}

// issuedHeader is the protected header of every access token issued.
type issuedHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// sign returns the compact JWS of payload (RFC 7515, section 7.1) signed
// by k. The signature itself is jwx's (t.signer, for t.alg); only the
// serialisation is done here, because jws.Sign's general path (a header
// map, options, a message object) cost a refresh about a sixth of its CPU
// for a header that never varies but for the kid.
func (t *Tokens) sign(k *tokenKey, payload []byte) (string, error) {
	hdr, err := json.Marshal(issuedHeader{Alg: t.alg.String(), Kid: k.kid, Typ: "JWT"})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	n := enc.EncodedLen(len(hdr)) + 1 + enc.EncodedLen(len(payload))
	buf := make([]byte, n, n+1+enc.EncodedLen(128))
	enc.Encode(buf, hdr)
	buf[enc.EncodedLen(len(hdr))] = '.'
	enc.Encode(buf[enc.EncodedLen(len(hdr))+1:], payload)
	sig, err := t.signer.Sign(buf, k.private)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// Verify checks token and returns its claims. An expired token (which is
// otherwise valid) gives an error matching store.ErrTokenExpired; any other
// problem with the token gives one matching store.ErrUnauthenticated, whose
// cause says what was wrong. When store-held keys cannot be loaded at all,
// the store's error is returned as is, because the token may be fine.
//
// Only compact JWS with the configured algorithm, typ "JWT" and a known kid
// is accepted; headers that name keys (jku, jwk, x5u, x5c, x5t) or carry
// crit, b64 or cty are refused, never followed. iss, aud, sub, sid, jti and
// exp are required; exp, nbf and iat are checked with the Leeway.
func (t *Tokens) Verify(ctx context.Context, token string) (Claims, error) {
	if len(token) == 0 || len(token) > maxTokenLen {
		return Claims{}, unauthenticated(errMalformed)
	}
	now := t.now()
	ks, err := t.keyset(ctx, now)
	if err != nil {
		return Claims{}, err
	}
	var key cacheKey
	var epoch uint64
	if t.cache != nil {
		key = sha256.Sum256([]byte(token))
		if e := t.cache.get(key, now); e != nil && ks.valid(e.kid, now) {
			return e.claims.clone(), nil
		}
		epoch = t.cache.epoch()
	}
	c, kid, err := t.verify(ctx, ks, token, now)
	if err != nil {
		return Claims{}, err
	}
	if t.cache != nil && now.Before(c.ExpiresAt) {
		t.cache.put(key, &cacheEntry{claims: c, kid: kid}, epoch, now)
	}
	return c.clone(), nil
}

// ForgetSession drops the cached verified tokens of the session, so that
// the next Verify of any of them checks the token afresh. It is called when
// a session is revoked.
func (t *Tokens) ForgetSession(sessionID string) {
	if t.cache != nil && sessionID != "" {
		t.cache.forgetSession(sessionID)
	}
}

func (c Claims) clone() Claims {
	c.Roles = slices.Clone(c.Roles)
	return c
}

var (
	errMalformed  = errors.New("auth: malformed token")
	errHeader     = errors.New("auth: token header refused")
	errUnknownKey = errors.New("auth: token signed by an unknown key")
	errSignature  = errors.New("auth: token signature is invalid")
	errClaims     = errors.New("auth: token claims refused")
)

func unauthenticated(cause error) error { return store.ErrUnauthenticated.Wrap(cause) }

// jwsHeader is the protected header. The raw fields are only checked for
// presence: a token carrying any of them is refused.
type jwsHeader struct {
	Alg     string          `json:"alg"`
	Kid     string          `json:"kid"`
	Typ     string          `json:"typ"`
	Crit    json.RawMessage `json:"crit"`
	B64     json.RawMessage `json:"b64"`
	Cty     json.RawMessage `json:"cty"`
	Jku     json.RawMessage `json:"jku"`
	Jwk     json.RawMessage `json:"jwk"`
	X5u     json.RawMessage `json:"x5u"`
	X5c     json.RawMessage `json:"x5c"`
	X5t     json.RawMessage `json:"x5t"`
	X5tS256 json.RawMessage `json:"x5t#S256"`
}

// wireClaims is the payload as issued.
type wireClaims struct {
	Iss   string     `json:"iss"`
	Sub   string     `json:"sub"`
	Aud   string     `json:"aud"`
	Iat   int64      `json:"iat"`
	Nbf   int64      `json:"nbf"`
	Exp   int64      `json:"exp"`
	Jti   string     `json:"jti"`
	Sid   string     `json:"sid"`
	Roles []string   `json:"roles"`
	Act   *wireActor `json:"act,omitempty"`
}

type wireActor struct {
	Sub string `json:"sub"`
}

// readClaims is the payload as verified: aud may be a string or an array,
// and the times may be absent or fractional.
type readClaims struct {
	Iss   string          `json:"iss"`
	Sub   string          `json:"sub"`
	Aud   json.RawMessage `json:"aud"`
	Iat   *float64        `json:"iat"`
	Nbf   *float64        `json:"nbf"`
	Exp   *float64        `json:"exp"`
	Jti   string          `json:"jti"`
	Sid   string          `json:"sid"`
	Roles []string        `json:"roles"`
	Act   *wireActor      `json:"act"`
}

// b64url decodes unpadded base64url and refuses non-canonical encodings, so
// that exactly one string encodes each token.
var b64url = base64.RawURLEncoding.Strict()

// tokenChars marks the bytes of a compact JWS: the base64url alphabet and
// the dot. Go's decoder skips \r and \n, so the alphabet is checked first.
var tokenChars = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_." {
		t[c] = true
	}
	return t
}()

// verify checks the token fully. It parses the compact form itself (one
// pass, strict base64, no JSON serialisation) and leaves the signature
// check to the jwx verifier of the pinned algorithm.
func (t *Tokens) verify(ctx context.Context, ks *keyset, token string, now time.Time) (Claims, string, error) {
	for i := 0; i < len(token); i++ {
		if !tokenChars[token[i]] {
			return Claims{}, "", unauthenticated(errMalformed)
		}
	}
	dot1 := strings.IndexByte(token, '.')
	dot2 := strings.LastIndexByte(token, '.')
	if dot1 <= 0 || dot2 == dot1 || dot2 == len(token)-1 || strings.IndexByte(token[dot1+1:dot2], '.') >= 0 {
		return Claims{}, "", unauthenticated(errMalformed)
	}
	rawHdr, err := b64url.DecodeString(token[:dot1])
	if err != nil {
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: header: %v", errMalformed, err))
	}
	var h jwsHeader
	if err := json.Unmarshal(rawHdr, &h); err != nil {
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: header: %v", errMalformed, err))
	}
	switch {
	case h.Alg != t.alg.String():
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: alg %q, want %s", errHeader, h.Alg, t.alg))
	case h.Typ != "JWT":
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: typ %q", errHeader, h.Typ))
	case h.Kid == "":
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: no kid", errHeader))
	case h.Jku != nil || h.Jwk != nil || h.X5u != nil || h.X5c != nil || h.X5t != nil || h.X5tS256 != nil:
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: key-bearing header", errHeader))
	case h.Crit != nil || h.B64 != nil || h.Cty != nil:
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: crit, b64 or cty", errHeader))
	}
	k := ks.lookup(h.Kid, now)
	if k == nil {
		if ks = t.reloadForKid(ctx, now); ks != nil {
			k = ks.lookup(h.Kid, now)
		}
		if k == nil {
			return Claims{}, "", unauthenticated(fmt.Errorf("%w: kid %q", errUnknownKey, h.Kid))
		}
	}
	sig, err := b64url.DecodeString(token[dot2+1:])
	if err != nil {
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: signature: %v", errMalformed, err))
	}
	if err := t.verifier.Verify([]byte(token[:dot2]), sig, k.public); err != nil {
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: %v", errSignature, err))
	}
	payload, err := b64url.DecodeString(token[dot1+1 : dot2])
	if err != nil {
		return Claims{}, "", unauthenticated(fmt.Errorf("%w: payload: %v", errMalformed, err))
	}
	c, err := t.checkClaims(payload, now)
	if err != nil {
		return Claims{}, "", err
	}
	return c, k.kid, nil
}

// checkClaims decodes and validates a payload whose signature is good.
func (t *Tokens) checkClaims(payload []byte, now time.Time) (Claims, error) {
	var r readClaims
	if err := json.Unmarshal(payload, &r); err != nil {
		return Claims{}, unauthenticated(fmt.Errorf("%w: %v", errClaims, err))
	}
	refuse := func(format string, args ...any) (Claims, error) {
		return Claims{}, unauthenticated(fmt.Errorf("%w: "+format, append([]any{errClaims}, args...)...))
	}
	if r.Sub == "" || r.Sid == "" || r.Jti == "" || r.Exp == nil {
		return refuse("sub, sid, jti and exp are required")
	}
	if r.Iss != t.iss {
		return refuse("iss %q", r.Iss)
	}
	if !t.audienceOK(r.Aud) {
		return refuse("aud %s", r.Aud)
	}
	exp, ok := numericDate(r.Exp)
	if !ok {
		return refuse("exp")
	}
	c := Claims{UserID: r.Sub, SessionID: r.Sid, Roles: r.Roles, TokenID: r.Jti, ExpiresAt: exp}
	if r.Act != nil {
		if r.Act.Sub == "" {
			return refuse("act without sub")
		}
		c.ActorID = r.Act.Sub
	}
	late := now.Add(t.leeway)
	if r.Nbf != nil {
		nbf, ok := numericDate(r.Nbf)
		if !ok || nbf.After(late) {
			return refuse("not valid before %s", nbf)
		}
	}
	if r.Iat != nil {
		iat, ok := numericDate(r.Iat)
		if !ok || iat.After(late) {
			return refuse("issued in the future, at %s", iat)
		}
		c.IssuedAt = iat
	}
	if !now.Before(exp.Add(t.leeway)) {
		return Claims{}, store.ErrTokenExpired.Wrap(fmt.Errorf("auth: token expired at %s", exp.UTC()))
	}
	return c, nil
}

func (t *Tokens) audienceOK(raw json.RawMessage) bool {
	if bytes.Equal(raw, t.audJSON) {
		return true
	}
	if len(raw) == 0 || raw[0] != '[' {
		return false // a string, but another one (or not a string)
	}
	var auds []string
	if err := json.Unmarshal(raw, &auds); err != nil {
		return false
	}
	return slices.Contains(auds, t.aud)
}

// numericDate converts a JWT NumericDate; absurd values are refused.
func numericDate(f *float64) (time.Time, bool) {
	if f == nil || !(*f >= 0 && *f < 1e11) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(*f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}
