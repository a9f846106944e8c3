package auth_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

// Tokens with a host-held Ed25519 key. Without Keys (and a store as the
// first argument), the key is generated once and kept in the store, shared
// by every instance.
func ExampleTokens() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // use a real secret seed
	tokens, err := auth.NewTokens(nil, auth.TokenConfig{
		Issuer:   "https://id.example.com",
		Audience: "usermgmt",
		Keys:     []crypto.Signer{key},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	token, _, err := tokens.Issue(ctx, auth.Claims{UserID: "u1", SessionID: "s1", Roles: []string{"user"}})
	if err != nil {
		panic(err)
	}
	claims, err := tokens.Verify(ctx, token)
	fmt.Println(claims.UserID, claims.SessionID, claims.Roles, err)

	_, err = tokens.Verify(ctx, token+"x")
	fmt.Println(errors.Is(err, store.ErrUnauthenticated))
	// Output:
	// u1 s1 [user] <nil>
	// true
}
