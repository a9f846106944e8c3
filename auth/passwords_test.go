package auth_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

// countingHasher is a Hasher of its own format that counts the work it
// does, so a test can see that a check without a hash still does some.
type countingHasher struct{ work atomic.Int32 }

func (h *countingHasher) Hash(password string) (string, error) {
	h.work.Add(1)
	return "$plain$" + password, nil
}

func (h *countingHasher) Verify(encoded, password string) (bool, error) {
	h.work.Add(1)
	rest, ok := strings.CutPrefix(encoded, "$plain$")
	if !ok {
		return false, auth.ErrUnknownHash
	}
	return rest == password, nil
}

func (h *countingHasher) NeedsRehash(string) bool { return false }

func TestPasswordsCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     *store.User
		password string
		ok       bool
		err      bool
	}{
		{"right", &store.User{ID: "u1", PasswordHash: "$plain$secret"}, "secret", true, false},
		{"wrong", &store.User{ID: "u1", PasswordHash: "$plain$secret"}, "guess", false, false},
		{"no account", nil, "guess", false, false},
		{"no password yet", &store.User{ID: "u1"}, "guess", false, false},
		{"unknown hash", &store.User{ID: "u1", PasswordHash: "$md5$abc"}, "guess", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHasher{}
			ok, err := auth.Passwords{Preferred: h}.Check(tc.user, tc.password)
			assert.Equal(t, tc.ok, ok)
			if tc.err {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, int32(1), h.work.Load(), "one hash's work, with or without a hash to check")
		})
	}
}
