package usermgmt_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
)

// TestE2ESigningKeysAtRest checks where the token-signing key lives after
// a login over HTTP, and the warning New gives when a database dump would
// yield it.
func TestE2ESigningKeysAtRest(t *testing.T) {
	encKey := make([]byte, 32)
	_, _ = rand.Read(encKey)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	tests := []struct {
		name   string
		opts   []usermgmt.Option
		warn   bool
		sealed bool // a store-held key, and sealed
		clear  bool // a store-held key, in clear
	}{
		{name: "nothing configured", warn: true, clear: true},
		{name: "encryption key", opts: []usermgmt.Option{usermgmt.WithEncryptionKey(encKey)}, sealed: true},
		{name: "HS256 secret", opts: []usermgmt.Option{usermgmt.WithHS256Secret(bytes.Repeat([]byte("s"), 32))}},
		{name: "host signing key", opts: []usermgmt.Option{usermgmt.WithSigningKeys(edKey)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := dbtest.SQLite(t)
			opts := append([]usermgmt.Option{usermgmt.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}, tc.opts...)
			e := newTFAEnv(t, st, opts...)
			if tc.warn {
				assert.Contains(t, logs.String(), "token-signing keys")
				assert.Contains(t, logs.String(), "mint access tokens")
				assert.Contains(t, logs.String(), "2FA secrets")
			} else {
				assert.NotContains(t, logs.String(), "token-signing keys")
			}

			e.register(t, "kim@example.com") // signs in, so a key exists
			r := e.call(t, "GET", "/.well-known/jwks.json", nil, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)

			rows, err := st.SigningKeys().List(context.Background(), e.clock.Now().Add(time.Second))
			require.NoError(t, err)
			var signing [][]byte
			for _, row := range rows {
				if row.Algorithm == "EdDSA" {
					signing = append(signing, row.PrivateKey)
				}
			}
			if !tc.sealed && !tc.clear {
				assert.Empty(t, signing, "host-held keys stay out of the store")
				return
			}
			require.Len(t, signing, 1)
			_, err = x509.ParsePKCS8PrivateKey(signing[0])
			if tc.clear {
				assert.NoError(t, err, "in clear, as the warning says")
			} else {
				assert.Error(t, err, "sealed: a dump yields no key")
			}
		})
	}
}
