package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/usermgmt/usermgmt/auth"
)

// benchSetup returns Tokens with a host-held key (or secret) of alg, and
// the jwt.Parse options that verify with the same key and check what
// Verify checks.
func benchSetup(b *testing.B, alg string, cacheSize int) (*auth.Tokens, []jwt.ParseOption) {
	b.Helper()
	now := time.Unix(1_700_000_000, 0)
	cfg := auth.TokenConfig{Issuer: "https://id.example.com", Audience: "usermgmt", Algorithm: alg,
		Now: func() time.Time { return now }, CacheSize: cacheSize}
	var verifyKey any
	switch alg {
	case "EdDSA":
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		cfg.Keys, verifyKey = []crypto.Signer{priv}, pub
	case "ES256":
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		cfg.Keys, verifyKey = []crypto.Signer{priv}, &priv.PublicKey
	case "HS256":
		cfg.Secret = make([]byte, 32)
		_, _ = rand.Read(cfg.Secret)
		verifyKey = cfg.Secret
	}
	tk, err := auth.NewTokens(nil, cfg)
	if err != nil {
		b.Fatal(err)
	}
	opts := []jwt.ParseOption{
		jwt.WithKey(jwa.SignatureAlgorithm(alg), verifyKey),
		jwt.WithValidate(true),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithAcceptableSkew(30 * time.Second),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithRequiredClaim("sid"),
		jwt.WithRequiredClaim(jwt.JwtIDKey),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
	}
	return tk, opts
}

var benchClaims = auth.Claims{UserID: "0190a000-0000-7000-8000-000000000001",
	SessionID: "0190a000-0000-7000-8000-0000000000aa", Roles: []string{"user", "moderator"}}

// BenchmarkVerifyAccessToken compares Verify with a raw jwt.Parse doing the
// same checks: Cached verifies one token over and over, FirstSeen verifies
// a new token each time with the cache on.
func BenchmarkVerifyAccessToken(b *testing.B) {
	ctx := context.Background()
	for _, alg := range []string{"EdDSA", "ES256", "HS256"} {
		b.Run("Raw/"+alg, func(b *testing.B) {
			tk, opts := benchSetup(b, alg, -1)
			tok, _, err := tk.Issue(ctx, benchClaims)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := jwt.ParseString(tok, opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Cached/"+alg, func(b *testing.B) {
			tk, _ := benchSetup(b, alg, 0)
			tok, _, err := tk.Issue(ctx, benchClaims)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tk.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tk.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("FirstSeen/"+alg, func(b *testing.B) {
			tk, _ := benchSetup(b, alg, 0)
			toks := make([]string, b.N)
			for i := range toks {
				tok, _, err := tk.Issue(ctx, benchClaims)
				if err != nil {
					b.Fatal(err)
				}
				toks[i] = tok
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tk.Verify(ctx, toks[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
