package twofa_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/twofa"
)

// workHasher wraps bcrypt and counts hashes and checks, so a test sees
// the work a password check does.
type workHasher struct {
	auth.Bcrypt
	work atomic.Int32
}

func (h *workHasher) Hash(password string) (string, error) {
	h.work.Add(1)
	return "$work$" + password, nil
}

func (h *workHasher) Verify(encoded, password string) (bool, error) {
	h.work.Add(1)
	rest, ok := strings.CutPrefix(encoded, "$work$")
	if !ok {
		return false, auth.ErrUnknownHash
	}
	return rest == password, nil
}

// TestPasswordWithoutHash: an account without a password (an invited one)
// is refused after the work of a real check, as login does, so the answer
// does not tell that it has none.
func TestPasswordWithoutHash(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		h := &workHasher{}
		e := newTFEnv(t, st, func(c *twofa.Config) { c.Passwords = auth.Passwords{Preferred: h} })
		ctx := context.Background()
		u := e.user("ada")
		e.enableTOTP(u)
		u, err := st.Users().Update(ctx, u.ID, func(u *store.User) error {
			u.PasswordHash = ""
			return nil
		})
		require.NoError(t, err)

		for _, tc := range []struct {
			name string
			call func() error
		}{
			{"Disable", func() error { return e.svc.Disable(ctx, u.ID, "guess", "123456") }},
			{"RegenerateBackupCodes", func() error { _, err := e.svc.RegenerateBackupCodes(ctx, u.ID, "guess"); return err }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := h.work.Load()
				tfRequireCode(t, store.ErrInvalidPassword, tc.call())
				assert.Equal(t, int32(1), h.work.Load()-before, "one hash's work")
			})
		}
	})
}

// TestCodeExpiryWording: the message says how long a code lives in the
// words every other message uses (internal/textutil), never "0 minutes".
func TestCodeExpiryWording(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want string
	}{
		{45 * time.Second, "expires in 45 seconds"},
		{10 * time.Minute, "expires in 10 minutes"},
		{72 * time.Hour, "expires in 3 days"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			st := dbtest.SQLite(t)
			e := newTFEnv(t, st, func(c *twofa.Config) { c.CodeTTL = tc.ttl })
			u := e.user("erin")
			_, err := st.Users().Update(context.Background(), u.ID, func(u *store.User) error {
				u.PhoneNumber = "+14155550123"
				return nil
			})
			require.NoError(t, err)
			_, err = e.svc.Setup(context.Background(), u.ID, "", store.MethodSMS)
			require.NoError(t, err)
			e.flush()
			texts := e.out.TextsTo("+14155550123")
			require.Len(t, texts, 1)
			assert.Contains(t, texts[0].Body, tc.want)
		})
	}
}
