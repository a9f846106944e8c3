package auth_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/usermgmt/usermgmt/auth"
)

// phc makes an argon2id hash in PHC form, as another system would.
func phc(t *testing.T, password string, m, iter uint32, p uint8) string {
	t.Helper()
	salt := make([]byte, 16)
	_, err := rand.Read(salt)
	require.NoError(t, err)
	key := argon2.IDKey([]byte(password), salt, iter, m, p, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, iter, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestImportedHashes(t *testing.T) {
	const pw = "correct horse battery staple"
	plain, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
	require.NoError(t, err)
	y := "$2y$" + strings.TrimPrefix(string(plain), "$2a$")
	own, err := auth.Bcrypt{Cost: 4}.Hash(pw)
	require.NoError(t, err)
	tooCostly := strings.Replace(string(plain), "$04$", "$16$", 1)
	tests := []struct {
		name    string
		hash    string
		valid   bool
		matches bool
	}{
		{"Bcrypt2a", string(plain), true, true},
		{"Bcrypt2y", y, true, true},
		{"OwnBcrypt", own, true, true},
		{"Argon2id", phc(t, pw, 19456, 2, 1), true, true},
		{"Argon2idTooMuchMemory", strings.Replace(phc(t, pw, 19456, 2, 1), "m=19456", "m=262145", 1), false, true},
		{"BcryptTooCostly", tooCostly, false, false},
		{"Truncated", string(plain)[:40], false, false},
		{"Unknown", "$1$md5$crypt", false, false},
		{"Plain", pw, false, false},
	}
	pws := auth.Passwords{Preferred: auth.Bcrypt{Cost: 4}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.valid, auth.CheckImportedHash(tc.hash) == nil)
			if !tc.valid {
				return
			}
			assert.True(t, auth.IsPasswordHash(tc.hash))
			ok, err := pws.Verify(tc.hash, pw)
			require.NoError(t, err)
			assert.Equal(t, tc.matches, ok)
			ok, err = pws.Verify(tc.hash, pw+"!")
			require.NoError(t, err)
			assert.False(t, ok, "a wrong password fails")
			assert.Equal(t, tc.name != "OwnBcrypt", pws.NeedsRehash(tc.hash), "foreign hashes are replaced at login")
		})
	}
	assert.False(t, auth.IsPasswordHash(pw))
}
