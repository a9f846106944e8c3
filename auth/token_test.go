package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

const (
	testIssuer   = "https://id.example.com"
	testAudience = "usermgmt"
)

// testClock is a clock the test moves.
type testClock = testkit.Clock

func newClock() *testClock { return testkit.NewClock(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)) }

func newTokens(t testing.TB, st store.Store, clk *testClock, edit func(*auth.TokenConfig)) *auth.Tokens {
	t.Helper()
	cfg := auth.TokenConfig{Issuer: testIssuer, Audience: testAudience, Now: clk.Now}
	if edit != nil {
		edit(&cfg)
	}
	tk, err := auth.NewTokens(st, cfg)
	require.NoError(t, err)
	return tk
}

var aliceClaims = auth.Claims{UserID: "user-alice", SessionID: "sess-1", Roles: []string{"user"}}

func issue(t testing.TB, tk *auth.Tokens, c auth.Claims) (string, auth.Claims) {
	t.Helper()
	tok, claims, err := tk.Issue(context.Background(), c)
	require.NoError(t, err)
	return tok, claims
}

// decodeSegment decodes a base64url JSON segment of a compact JWS.
func decodeSegment(t testing.TB, seg string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func splitToken(t testing.TB, tok string) (hdr, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	return decodeSegment(t, parts[0]), decodeSegment(t, parts[1])
}

func kidOf(t testing.TB, tok string) string {
	t.Helper()
	hdr, _ := splitToken(t, tok)
	kid, _ := hdr["kid"].(string)
	require.NotEmpty(t, kid)
	return kid
}

func seg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// craft builds a compact JWS from header and claims, signed by sign.
func craft(header, claims map[string]any, sign func(input []byte) []byte) string {
	input := seg(header) + "." + seg(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

func edSigner(k ed25519.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte { return ed25519.Sign(k, in) }
}

func hsSigner(secret []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	}
}

func isUnauthenticated(t testing.TB, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, store.ErrUnauthenticated)
	assert.NotErrorIs(t, err, store.ErrTokenExpired)
}

func TestTokensIssueVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		clk := newClock()
		tk := newTokens(t, st, clk, nil)

		tok, claims := issue(t, tk, aliceClaims)
		assert.Equal(t, clk.Now().Unix(), claims.IssuedAt.Unix())
		assert.Equal(t, 15*time.Minute, claims.ExpiresAt.Sub(claims.IssuedAt))
		id, err := base64.RawURLEncoding.DecodeString(claims.TokenID)
		require.NoError(t, err)
		assert.Len(t, id, 16)

		hdr, body := splitToken(t, tok)
		assert.Equal(t, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": hdr["kid"]}, hdr)
		iat := float64(claims.IssuedAt.Unix())
		assert.Equal(t, map[string]any{
			"iss": testIssuer, "aud": testAudience, "sub": "user-alice", "sid": "sess-1",
			"iat": iat, "nbf": iat, "exp": float64(claims.ExpiresAt.Unix()), "jti": claims.TokenID,
			"roles": []any{"user"},
		}, body)

		got, err := tk.Verify(ctx, tok)
		require.NoError(t, err)
		assert.Equal(t, claims, got)
		got, err = tk.Verify(ctx, tok) // from the cache
		require.NoError(t, err)
		assert.Equal(t, claims, got)
		got.Roles[0] = "admin" // the caller's copy
		got, err = tk.Verify(ctx, tok)
		require.NoError(t, err)
		assert.Equal(t, []string{"user"}, got.Roles)

		t.Run("Impersonation", func(t *testing.T) {
			c := aliceClaims
			c.ActorID = "admin-bob"
			c.ExpiresAt = clk.Now().Add(10 * time.Minute)
			tok, claims := issue(t, tk, c)
			assert.Equal(t, 10*time.Minute, claims.ExpiresAt.Sub(claims.IssuedAt))
			_, body := splitToken(t, tok)
			assert.Equal(t, map[string]any{"sub": "admin-bob"}, body["act"])
			got, err := tk.Verify(ctx, tok)
			require.NoError(t, err)
			assert.Equal(t, "admin-bob", got.ActorID)
		})
		t.Run("NoRoles", func(t *testing.T) {
			tok, _ := issue(t, tk, auth.Claims{UserID: "u", SessionID: "s"})
			_, body := splitToken(t, tok)
			assert.Equal(t, []any{}, body["roles"])
			got, err := tk.Verify(ctx, tok)
			require.NoError(t, err)
			assert.Empty(t, got.Roles)
		})
		t.Run("IssueNeedsUserAndSession", func(t *testing.T) {
			_, _, err := tk.Issue(ctx, auth.Claims{UserID: "u"})
			assert.Error(t, err)
			_, _, err = tk.Issue(ctx, auth.Claims{SessionID: "s"})
			assert.Error(t, err)
			_, _, err = tk.Issue(ctx, auth.Claims{UserID: "u", SessionID: "s", ExpiresAt: clk.Now().Add(-time.Second)})
			assert.Error(t, err)
		})
		t.Run("KeyStoredAsPKCS8", func(t *testing.T) {
			keys, err := st.SigningKeys().List(ctx, clk.Now())
			require.NoError(t, err)
			require.Len(t, keys, 1)
			assert.Equal(t, kidOf(t, tok), keys[0].ID)
			assert.Equal(t, "EdDSA", keys[0].Algorithm)
			_, err = x509ParsePKCS8(keys[0].PrivateKey)
			assert.NoError(t, err)
		})
	})
}

// TestVerifyRefuses feeds Verify tokens an attacker could make, and valid
// tokens with bad claims, all through the public API.
func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tk := newTokens(t, nil, clk, func(c *auth.TokenConfig) { c.Keys = []crypto.Signer{priv} })
	good, _ := issue(t, tk, aliceClaims)
	kid := kidOf(t, good)
	pub := priv.Public().(ed25519.PublicKey)

	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	otherJWK := map[string]any{"kty": "OKP", "crv": "Ed25519",
		"x": base64.RawURLEncoding.EncodeToString(otherKey.Public().(ed25519.PublicKey))}

	now := clk.Now().Unix()
	hdr := func(edits ...any) map[string]any {
		h := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid}
		for i := 0; i < len(edits); i += 2 {
			if edits[i+1] == nil {
				delete(h, edits[i].(string))
			} else {
				h[edits[i].(string)] = edits[i+1]
			}
		}
		return h
	}
	claims := func(edits ...any) map[string]any {
		c := map[string]any{"iss": testIssuer, "aud": testAudience, "sub": "user-alice", "sid": "sess-1",
			"iat": now, "nbf": now, "exp": now + 900, "jti": "abc", "roles": []string{"user"}}
		for i := 0; i < len(edits); i += 2 {
			if edits[i+1] == nil {
				delete(c, edits[i].(string))
			} else {
				c[edits[i].(string)] = edits[i+1]
			}
		}
		return c
	}
	ours := edSigner(priv)
	parts := strings.Split(good, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	refreshLike := make([]byte, 32)
	_, _ = rand.Read(refreshLike)

	const (
		ok = iota
		unauth
		expired
	)
	cases := []struct {
		name  string
		token string
		want  int
	}{
		{"Good", good, ok},
		{"CraftedGood", craft(hdr(), claims(), ours), ok},
		{"AudienceArray", craft(hdr(), claims("aud", []string{"other", testAudience}), ours), ok},
		{"ExpWithinLeeway", craft(hdr(), claims("iat", now-900, "nbf", now-900, "exp", now-20), ours), ok},
		{"NbfWithinLeeway", craft(hdr(), claims("nbf", now+20), ours), ok},
		{"NoIatNoNbf", craft(hdr(), claims("iat", nil, "nbf", nil), ours), ok},

		{"Expired", craft(hdr(), claims("iat", now-900, "nbf", now-900, "exp", now-31), ours), expired},

		{"AlgNone", seg(hdr("alg", "none")) + "." + seg(claims()) + ".", unauth},
		{"AlgNoneWithSignature", seg(hdr("alg", "none")) + "." + seg(claims()) + "." + parts[2], unauth},
		{"AlgNoneLowercaseSig", craft(hdr("alg", "None"), claims(), ours), unauth},
		{"AlgConfusionHS256WithPublicKey", craft(hdr("alg", "HS256"), claims(), hsSigner(pub)), unauth},
		{"OtherKeySameKid", craft(hdr(), claims(), edSigner(otherKey)), unauth},
		{"UnknownKid", craft(hdr("kid", "nope"), claims(), ours), unauth},
		{"NoKid", craft(hdr("kid", nil), claims(), ours), unauth},
		{"JKUToAttackerKey", craft(hdr("jku", "https://evil.example/jwks.json", "kid", "evil"), claims(), edSigner(otherKey)), unauth},
		{"JKUWithOurKid", craft(hdr("jku", "https://evil.example/jwks.json"), claims(), edSigner(otherKey)), unauth},
		{"EmbeddedJWK", craft(hdr("jwk", otherJWK), claims(), edSigner(otherKey)), unauth},
		{"EmbeddedJWKOurSignature", craft(hdr("jwk", otherJWK), claims(), ours), unauth},
		{"X5U", craft(hdr("x5u", "https://evil.example/cert.pem"), claims(), edSigner(otherKey)), unauth},
		{"X5C", craft(hdr("x5c", []string{"MIIB"}), claims(), edSigner(otherKey)), unauth},
		{"Crit", craft(hdr("crit", []string{"exp"}, "exp", 1), claims(), ours), unauth},
		{"B64False", craft(hdr("b64", false, "crit", []string{"b64"}), claims(), ours), unauth},
		{"WrongTyp", craft(hdr("typ", "at+jwt"), claims(), ours), unauth},
		{"NoTyp", craft(hdr("typ", nil), claims(), ours), unauth},

		{"NbfBeyondLeeway", craft(hdr(), claims("nbf", now+31), ours), unauth},
		{"IatInFuture", craft(hdr(), claims("iat", now+60, "nbf", now), ours), unauth},
		{"WrongIssuer", craft(hdr(), claims("iss", "https://evil.example"), ours), unauth},
		{"NoIssuer", craft(hdr(), claims("iss", nil), ours), unauth},
		{"WrongAudience", craft(hdr(), claims("aud", "other"), ours), unauth},
		{"WrongAudienceArray", craft(hdr(), claims("aud", []string{"other"}), ours), unauth},
		{"NoAudience", craft(hdr(), claims("aud", nil), ours), unauth},
		{"MissingSid", craft(hdr(), claims("sid", nil), ours), unauth},
		{"MissingSub", craft(hdr(), claims("sub", nil), ours), unauth},
		{"MissingJti", craft(hdr(), claims("jti", nil), ours), unauth},
		{"MissingExp", craft(hdr(), claims("exp", nil), ours), unauth},
		{"ExpAsString", craft(hdr(), claims("exp", "9999999999"), ours), unauth},
		{"ExpAbsurd", craft(hdr(), claims("exp", 1e300), ours), unauth},
		{"ActWithoutSub", craft(hdr(), claims("act", map[string]any{}), ours), unauth},
		{"ExpiredAndForged", craft(hdr(), claims("exp", now-3600), edSigner(otherKey)), unauth},

		{"TamperedPayload", parts[0] + "." + seg(claims("sub", "user-mallory")) + "." + parts[2], unauth},
		{"TamperedPayloadChar", parts[0] + "." + flip(parts[1], 5) + "." + parts[2], unauth},
		{"TamperedSignature", parts[0] + "." + parts[1] + "." + flip(parts[2], 10), unauth},
		{"TruncatedSignature", parts[0] + "." + parts[1] + "." + parts[2][:40], unauth},
		{"NoSignature", parts[0] + "." + parts[1] + ".", unauth},
		{"PaddedSignature", good + "==", unauth},
		{"NewlineInSignature", parts[0] + "." + parts[1] + "." + parts[2][:20] + "\n" + parts[2][20:], unauth},
		{"ExtraSegment", good + ".e30", unauth},
		{"JSONSerialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, unauth},
		{"BearerPrefix", "Bearer " + good, unauth},

		{"Empty", "", unauth},
		{"Garbage", "garbage", unauth},
		{"Dots", "..", unauth},
		{"ThreeEmptyJSON", "e30.e30.e30", unauth},
		{"NotJSONHeader", "bm90anNvbg." + parts[1] + "." + parts[2], unauth},
		{"Huge", strings.Repeat("a", 10000) + "." + parts[1] + "." + parts[2], unauth},
		{"Unicode", "ü.ü.ü", unauth},
		{"RefreshTokenLike", base64.RawURLEncoding.EncodeToString(refreshLike), unauth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tk.Verify(ctx, tc.token)
			switch tc.want {
			case ok:
				require.NoError(t, err)
				assert.Equal(t, "user-alice", got.UserID)
			case expired:
				require.Error(t, err)
				assert.ErrorIs(t, err, store.ErrTokenExpired)
				assert.Equal(t, auth.Claims{}, got)
			default:
				isUnauthenticated(t, err)
				assert.Equal(t, auth.Claims{}, got)
			}
		})
	}
}

func TestVerifyCachedTokenExpires(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	tk := newTokens(t, dbtest.SQLite(t), clk, nil)
	tok, claims := issue(t, tk, aliceClaims)
	_, err := tk.Verify(ctx, tok)
	require.NoError(t, err)

	clk.Advance(claims.ExpiresAt.Sub(clk.Now()) - time.Second)
	_, err = tk.Verify(ctx, tok)
	require.NoError(t, err, "a second before exp")

	clk.Advance(time.Second + 29*time.Second)
	_, err = tk.Verify(ctx, tok)
	require.NoError(t, err, "past exp within the leeway: verified afresh, not from the cache")

	clk.Advance(time.Second)
	_, err = tk.Verify(ctx, tok)
	assert.ErrorIs(t, err, store.ErrTokenExpired)
}

func TestRotate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		clk := newClock()
		tk := newTokens(t, st, clk, nil)
		old, _ := issue(t, tk, aliceClaims)
		oldKid := kidOf(t, old)
		oldKey := storedKey(t, st, clk, oldKid)

		clk.Advance(time.Minute)
		require.NoError(t, tk.Rotate(ctx))
		_, err := tk.Verify(ctx, old)
		require.NoError(t, err, "old tokens still verify")
		fresh, _ := issue(t, tk, aliceClaims)
		newKid := kidOf(t, fresh)
		assert.NotEqual(t, oldKid, newKid)
		_, err = tk.Verify(ctx, fresh)
		require.NoError(t, err)
		assert.Equal(t, []string{newKid, oldKid}, jwksKids(t, tk))

		// The old key verifies what it signed until KeyRefresh+TTL+Leeway
		// after the rotation (another instance may sign with it until it
		// reloads), and nothing afterwards.
		retire := clk.Now().Add(time.Minute + 15*time.Minute + 30*time.Second)
		clk.Advance(retire.Sub(clk.Now()) - time.Second)
		late := craftStored(t, oldKid, oldKey, clk.Now())
		_, err = tk.Verify(ctx, late)
		require.NoError(t, err, "just before retirement")
		clk.Advance(time.Second)
		_, err = tk.Verify(ctx, late)
		isUnauthenticated(t, err)
		assert.Equal(t, []string{newKid}, jwksKids(t, tk))
		fresh2, _ := issue(t, tk, aliceClaims)
		assert.Equal(t, newKid, kidOf(t, fresh2))

		// Another instance, started now, never sees the retired key.
		other := newTokens(t, st, clk, nil)
		_, err = other.Verify(ctx, late)
		isUnauthenticated(t, err)
		_, err = other.Verify(ctx, fresh2)
		require.NoError(t, err)
	})
}

// TestTwoInstances runs two Tokens on one store, as two processes would.
func TestTwoInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		clk := newClock()
		a := newTokens(t, st, clk, nil)
		b := newTokens(t, st, clk, nil)
		crossCheck := func(t *testing.T) (string, string) {
			t.Helper()
			ta, _ := issue(t, a, aliceClaims)
			tb, _ := issue(t, b, aliceClaims)
			for _, tk := range []*auth.Tokens{a, b} {
				for _, tok := range []string{ta, tb} {
					_, err := tk.Verify(ctx, tok)
					require.NoError(t, err)
				}
			}
			return kidOf(t, ta), kidOf(t, tb)
		}
		ka, kb := crossCheck(t)
		assert.Equal(t, ka, kb, "b loaded the key a created")

		clk.Advance(time.Second)
		require.NoError(t, a.Rotate(ctx))
		ka2, kb2 := crossCheck(t) // b learns a's new kid from a token
		assert.NotEqual(t, ka, ka2)
		assert.Equal(t, kb, kb2, "b signs with the old key until it reloads")

		clk.Advance(time.Minute) // KeyRefresh
		ka3, kb3 := crossCheck(t)
		assert.Equal(t, ka2, ka3)
		assert.Equal(t, ka2, kb3, "b signs with the new key after KeyRefresh")
		assert.Equal(t, jwksKids(t, a), jwksKids(t, b))
	})
}

// TestConcurrentFirstUse starts instances on an empty store at once: each
// may create a key, and every instance must verify every other's tokens.
func TestConcurrentFirstUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		clk := newClock()
		const n = 4
		inst := make([]*auth.Tokens, n)
		toks := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range inst {
			inst[i] = newTokens(t, st, clk, nil)
			wg.Add(1)
			go func() {
				defer wg.Done()
				toks[i], _, errs[i] = inst[i].Issue(ctx, aliceClaims)
			}()
		}
		wg.Wait()
		for i := range inst {
			require.NoError(t, errs[i])
		}
		for _, tk := range inst {
			for _, tok := range toks {
				_, err := tk.Verify(ctx, tok)
				require.NoError(t, err)
			}
		}

		// A key another instance made in the meantime (newer, so it signs
		// there) is picked up from the first token naming it.
		extra := newTokens(t, st, clk, nil)
		clk.Advance(time.Second)
		k := ed25519Key(t)
		der, err := x509MarshalPKCS8(k)
		require.NoError(t, err)
		require.NoError(t, st.SigningKeys().Create(ctx, &store.SigningKey{ID: "made-elsewhere",
			Algorithm: "EdDSA", PrivateKey: der, CreatedAt: clk.Now()}))
		tok, _ := issue(t, extra, aliceClaims)
		assert.Equal(t, "made-elsewhere", kidOf(t, tok))
		for _, tk := range inst {
			_, err := tk.Verify(ctx, tok)
			require.NoError(t, err)
		}
	})
}

// countingStore counts SigningKeys().List calls.
type countingStore struct {
	store.Store
	lists *atomic.Int32
}

func (s countingStore) SigningKeys() store.SigningKeyStore {
	return countingKeys{s.Store.SigningKeys(), s.lists}
}

type countingKeys struct {
	store.SigningKeyStore
	lists *atomic.Int32
}

func (k countingKeys) List(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	k.lists.Add(1)
	return k.SigningKeyStore.List(ctx, now)
}

func TestUnknownKidReloadIsRateLimited(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := countingStore{dbtest.SQLite(t), new(atomic.Int32)}
	tk := newTokens(t, st, clk, nil)
	_, err := tk.JWKS(ctx) // first load
	require.NoError(t, err)
	loads := st.lists.Load()

	attacker := ed25519Key(t)
	garbage := func(i int) string {
		now := clk.Now().Unix()
		return craft(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "kid-" + string(rune('a'+i%26))},
			map[string]any{"iss": testIssuer, "aud": testAudience, "sub": "x", "sid": "y", "jti": "z",
				"exp": now + 60}, edSigner(attacker))
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := tk.Verify(ctx, garbage(i))
			isUnauthenticated(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, loads+1, st.lists.Load(), "one forced reload for 50 unknown kids")

	clk.Advance(time.Second)
	for i := 0; i < 10; i++ {
		_, err := tk.Verify(ctx, garbage(i))
		isUnauthenticated(t, err)
	}
	assert.Equal(t, loads+2, st.lists.Load(), "one more a second later")

	// The periodic reload is one query per KeyRefresh, however busy.
	good, _ := issue(t, tk, aliceClaims)
	clk.Advance(time.Minute)
	for i := 0; i < 20; i++ {
		_, err := tk.Verify(ctx, good)
		require.NoError(t, err)
	}
	assert.Equal(t, loads+3, st.lists.Load())
}

func TestHS256(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	secret := []byte("0123456789abcdef0123456789abcdef")
	tk := newTokens(t, nil, clk, func(c *auth.TokenConfig) { c.Algorithm = "HS256"; c.Secret = secret })
	tok, claims := issue(t, tk, aliceClaims)
	hdr, _ := splitToken(t, tok)
	assert.Equal(t, "HS256", hdr["alg"])
	got, err := tk.Verify(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, claims, got)

	jwks, err := tk.JWKS(ctx)
	require.NoError(t, err)
	assert.JSONEq(t, `{"keys":[]}`, string(jwks))
	assert.Error(t, tk.Rotate(ctx))

	other := newTokens(t, nil, clk, func(c *auth.TokenConfig) {
		c.Algorithm = "HS256"
		c.Secret = []byte("another secret of thirty-two bytes!")
	})
	_, err = other.Verify(ctx, tok)
	isUnauthenticated(t, err)

	ed := newTokens(t, nil, clk, func(c *auth.TokenConfig) { c.Keys = []crypto.Signer{ed25519Key(t)} })
	edTok, _ := issue(t, ed, aliceClaims)
	_, err = tk.Verify(ctx, edTok)
	isUnauthenticated(t, err)
	_, err = ed.Verify(ctx, tok)
	isUnauthenticated(t, err)
}

func TestES256(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := context.Background()
		clk := newClock()
		tk := newTokens(t, st, clk, func(c *auth.TokenConfig) { c.Algorithm = "ES256" })
		tok, claims := issue(t, tk, aliceClaims)
		hdr, _ := splitToken(t, tok)
		assert.Equal(t, "ES256", hdr["alg"])
		got, err := tk.Verify(ctx, tok)
		require.NoError(t, err)
		assert.Equal(t, claims, got)

		var set struct{ Keys []map[string]any }
		jwks, err := tk.JWKS(ctx)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(jwks, &set))
		require.Len(t, set.Keys, 1)
		k := set.Keys[0]
		assert.Equal(t, "EC", k["kty"])
		assert.Equal(t, "P-256", k["crv"])
		assert.Equal(t, "ES256", k["alg"])
		assert.Equal(t, "sig", k["use"])
		assert.Equal(t, kidOf(t, tok), k["kid"])
		assert.NotContains(t, k, "d")

		require.NoError(t, tk.Rotate(ctx))
		_, err = tk.Verify(ctx, tok)
		require.NoError(t, err)

		// An EdDSA instance on the same store ignores the ES256 keys.
		ed := newTokens(t, st, clk, nil)
		_, err = ed.Verify(ctx, tok)
		isUnauthenticated(t, err)
		edTok, _ := issue(t, ed, aliceClaims)
		_, err = tk.Verify(ctx, edTok)
		isUnauthenticated(t, err)
	})
}

func TestHostKeys(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	ed1, ed2 := ed25519Key(t), ed25519Key(t)
	tk := newTokens(t, nil, clk, func(c *auth.TokenConfig) { c.Keys = []crypto.Signer{ed1, ed2} })
	tok, _ := issue(t, tk, aliceClaims)
	_, err := tk.Verify(ctx, tok)
	require.NoError(t, err)
	assert.Error(t, tk.Rotate(ctx))

	var set struct{ Keys []map[string]any }
	jwks, err := tk.JWKS(ctx)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(jwks, &set))
	require.Len(t, set.Keys, 2)
	for i, k := range []ed25519.PrivateKey{ed1, ed2} {
		assert.Equal(t, "OKP", set.Keys[i]["kty"])
		assert.Equal(t, "EdDSA", set.Keys[i]["alg"])
		assert.Equal(t, "sig", set.Keys[i]["use"])
		assert.Equal(t, base64.RawURLEncoding.EncodeToString(k.Public().(ed25519.PublicKey)), set.Keys[i]["x"])
		assert.NotContains(t, set.Keys[i], "d")
	}
	assert.Equal(t, kidOf(t, tok), set.Keys[0]["kid"], "the first key signs")

	// A token signed by the second key (after the host reorders its keys)
	// verifies on an instance that still lists it second.
	swapped := newTokens(t, nil, clk, func(c *auth.TokenConfig) { c.Keys = []crypto.Signer{ed2, ed1} })
	tok2, _ := issue(t, swapped, aliceClaims)
	assert.Equal(t, set.Keys[1]["kid"], kidOf(t, tok2))
	_, err = tk.Verify(ctx, tok2)
	require.NoError(t, err)

	// ES256 keys; the algorithm follows the key.
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	es := newTokens(t, nil, clk, func(c *auth.TokenConfig) { c.Keys = []crypto.Signer{ec} })
	tok3, _ := issue(t, es, aliceClaims)
	hdr, _ := splitToken(t, tok3)
	assert.Equal(t, "ES256", hdr["alg"])
	_, err = es.Verify(ctx, tok3)
	require.NoError(t, err)
	_, err = tk.Verify(ctx, tok3)
	isUnauthenticated(t, err)
}

func TestNewTokensConfig(t *testing.T) {
	clk := newClock()
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	ec256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	secret := make([]byte, 32)
	st := dbtest.SQLite(t)
	cases := []struct {
		name string
		st   store.Store
		cfg  auth.TokenConfig
		want string // "" for no error, else a fragment of it
	}{
		{"Defaults", st, auth.TokenConfig{Issuer: "i", Audience: "a"}, ""},
		{"NoIssuer", st, auth.TokenConfig{Audience: "a"}, "Issuer"},
		{"NoAudience", st, auth.TokenConfig{Issuer: "i"}, "Audience"},
		{"BadAlgorithm", st, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "RS256"}, "Algorithm"},
		{"AlgorithmNone", st, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "none"}, "Algorithm"},
		{"HS256NoSecret", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "HS256"}, "Secret"},
		{"HS256ShortSecret", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "HS256", Secret: secret[:31]}, "32 bytes"},
		{"HS256", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "HS256", Secret: secret}, ""},
		{"SecretWithEdDSA", st, auth.TokenConfig{Issuer: "i", Audience: "a", Secret: secret}, "only for HS256"},
		{"HS256WithKeys", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "HS256", Secret: secret, Keys: []crypto.Signer{ec256}}, "not Keys"},
		{"P384Key", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "ES256", Keys: []crypto.Signer{ec384}}, "Keys[0]"},
		{"KeyOfOtherAlgorithm", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Algorithm: "EdDSA", Keys: []crypto.Signer{ec256}}, "Keys[0]"},
		{"MixedKeys", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Keys: []crypto.Signer{ec256, ed25519Key(t)}}, "Keys[1]"},
		{"RepeatedKey", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Keys: []crypto.Signer{ec256, ec256}}, "repeats"},
		{"NilKey", nil, auth.TokenConfig{Issuer: "i", Audience: "a", Keys: []crypto.Signer{nil}}, "Keys[0]"},
		{"NoStoreNoKeys", nil, auth.TokenConfig{Issuer: "i", Audience: "a"}, "store is required"},
		{"NegativeTTL", st, auth.TokenConfig{Issuer: "i", Audience: "a", TTL: -time.Second}, "TTL"},
		{"HugeTTL", st, auth.TokenConfig{Issuer: "i", Audience: "a", TTL: 48 * time.Hour}, "TTL"},
		{"LeewayTooLarge", st, auth.TokenConfig{Issuer: "i", Audience: "a", Leeway: 3 * time.Minute}, "Leeway"},
		{"NegativeLeeway", st, auth.TokenConfig{Issuer: "i", Audience: "a", Leeway: -time.Second}, "Leeway"},
		{"NegativeKeyRefresh", st, auth.TokenConfig{Issuer: "i", Audience: "a", KeyRefresh: -time.Second}, "KeyRefresh"},
		{"CacheDisabled", st, auth.TokenConfig{Issuer: "i", Audience: "a", CacheSize: -1}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Now = clk.Now
			tk, err := auth.NewTokens(tc.st, tc.cfg)
			if tc.want == "" {
				require.NoError(t, err)
				tok, _, err := tk.Issue(context.Background(), aliceClaims)
				require.NoError(t, err)
				_, err = tk.Verify(context.Background(), tok)
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, tk)
		})
	}
}

// TestVerifyStoreDown: a store that cannot be read is not the token's
// fault, so the store's error comes back rather than UNAUTHENTICATED.
func TestVerifyStoreDown(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := dbtest.SQLite(t)
	tk := newTokens(t, st, clk, nil)
	tok, _ := issue(t, tk, aliceClaims)

	fresh := newTokens(t, st, clk, nil)
	require.NoError(t, st.Close())
	_, err := fresh.Verify(ctx, tok)
	require.Error(t, err)
	assert.NotErrorIs(t, err, store.ErrUnauthenticated)

	// An instance that has its keys keeps verifying through a failed
	// periodic reload.
	clk.Advance(2 * time.Minute)
	_, err = tk.Verify(ctx, tok)
	assert.NoError(t, err)
}

// TestTokensConcurrent exercises every method at once, for the race
// detector.
func TestTokensConcurrent(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	tk := newTokens(t, dbtest.SQLite(t), clk, func(c *auth.TokenConfig) { c.CacheSize = 64 })
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				c := aliceClaims
				c.SessionID = "sess-" + string(rune('a'+i%4))
				tok, _, err := tk.Issue(ctx, c)
				if !assert.NoError(t, err) {
					return
				}
				for j := 0; j < 3; j++ {
					_, err := tk.Verify(ctx, tok)
					assert.NoError(t, err)
				}
				switch {
				case g == 0 && i%10 == 0:
					assert.NoError(t, tk.Rotate(ctx))
				case g == 1:
					tk.ForgetSession(c.SessionID)
				case g == 2 && i%10 == 0:
					_, err := tk.JWKS(ctx)
					assert.NoError(t, err)
				case g == 3 && i%10 == 0:
					clk.Advance(time.Second)
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzVerify: whatever the input, Verify fails with one of its two errors,
// or accepts a token the test key signed for alice, in canonical encoding.
func FuzzVerify(f *testing.F) {
	clk := newClock()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tk := newTokens(f, nil, clk, func(c *auth.TokenConfig) { c.Keys = []crypto.Signer{key} })
	good, _ := issue(f, tk, aliceClaims)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add("e30.e30.e30")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("")
	strict := base64.RawURLEncoding.Strict()
	f.Fuzz(func(t *testing.T, s string) {
		c, err := tk.Verify(context.Background(), s)
		if err == nil {
			if c.UserID != aliceClaims.UserID || c.SessionID != aliceClaims.SessionID {
				t.Fatalf("accepted claims never issued: %+v", c)
			}
			for _, part := range strings.Split(s, ".") {
				raw, err := strict.DecodeString(part)
				if err != nil || strict.EncodeToString(raw) != part {
					t.Fatalf("accepted a non-canonical encoding: %q", s)
				}
			}
			return
		}
		if !errors.Is(err, store.ErrUnauthenticated) && !errors.Is(err, store.ErrTokenExpired) {
			t.Fatalf("error %v matches neither", err)
		}
		if c.UserID != "" {
			t.Fatal("claims with an error")
		}
	})
}
