package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

func ed25519Key(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func x509ParsePKCS8(der []byte) (any, error) { return x509.ParsePKCS8PrivateKey(der) }

func x509MarshalPKCS8(k any) ([]byte, error) { return x509.MarshalPKCS8PrivateKey(k) }

// storedKey reads the private key named kid from the store, as PKCS#8.
func storedKey(t testing.TB, st store.Store, clk *testClock, kid string) ed25519.PrivateKey {
	t.Helper()
	keys, err := st.SigningKeys().List(context.Background(), clk.Now())
	require.NoError(t, err)
	for _, k := range keys {
		if k.ID == kid {
			priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
			require.NoError(t, err)
			return priv.(ed25519.PrivateKey)
		}
	}
	t.Fatalf("no stored key %q", kid)
	return nil
}

// craftStored signs a token issued at, with a stored key, as an instance
// that has not yet seen a rotation would.
func craftStored(t testing.TB, kid string, key ed25519.PrivateKey, at time.Time) string {
	t.Helper()
	now := at.Unix()
	return craft(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid},
		map[string]any{"iss": testIssuer, "aud": testAudience, "sub": "user-alice", "sid": "sess-1",
			"iat": now, "nbf": now, "exp": now + 900, "jti": "late", "roles": []string{"user"}},
		edSigner(key))
}

// jwksKids lists the kids the JWKS publishes, in order.
func jwksKids(t testing.TB, tk *auth.Tokens) []string {
	t.Helper()
	raw, err := tk.JWKS(context.Background())
	require.NoError(t, err)
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Use string `json:"use"`
			Alg string `json:"alg"`
		} `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(raw, &set))
	kids := []string{}
	for _, k := range set.Keys {
		require.Equal(t, "sig", k.Use)
		require.NotEmpty(t, k.Alg)
		kids = append(kids, k.Kid)
	}
	return kids
}
