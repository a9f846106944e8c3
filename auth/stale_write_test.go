package auth_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// gatedHasher hashes like its Hasher, but the first Hash after arm waits
// for release: the window in which a slow hash used to let a stale copy of
// the user overwrite changes made meanwhile.
type gatedHasher struct {
	auth.Hasher
	mu       sync.Mutex
	armed    bool
	entered  chan struct{}
	released chan struct{}
}

func (g *gatedHasher) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed, g.entered, g.released = true, make(chan struct{}), make(chan struct{})
}

func (g *gatedHasher) Hash(password string) (string, error) {
	g.mu.Lock()
	armed := g.armed
	g.armed = false
	g.mu.Unlock()
	if armed {
		close(g.entered)
		<-g.released
	}
	return g.Hasher.Hash(password)
}

// TestServiceNoStaleUserWrites changes a user's status while a password
// change or reset is hashing: the status change survives, on both
// databases.
func TestServiceNoStaleUserWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		gate := &gatedHasher{Hasher: auth.Bcrypt{Cost: 4}}
		e := newSvcEnv(t, st, func(c *auth.Config) { c.Passwords = auth.Passwords{Preferred: gate} })
		suspend := func(id string) {
			_, err := st.Users().Update(context.Background(), id, func(u *store.User) error {
				u.Status, u.SuspendedReason = store.StatusSuspended, "abuse"
				return nil
			})
			require.NoError(t, err)
		}

		tests := []struct {
			name   string
			change func(u *store.User) error
		}{
			{"ChangePassword", func(u *store.User) error {
				return e.svc.ChangePassword(svcCtx(), u.ID, "", svcPassword, "Brand-New-Secret-77")
			}},
			{"ResetPassword", func(u *store.User) error {
				require.NoError(t, e.svc.ForgotPassword(svcCtx(), u.Email))
				token := e.linkToken(u.Email, svcResetLink)
				return e.svc.ResetPassword(svcCtx(), token, "Brand-New-Secret-77")
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				u := e.register(tc.name+"@example.com", "")
				gate.arm()
				done := make(chan error, 1)
				go func() { done <- tc.change(u) }()
				<-gate.entered
				suspend(u.ID) // an admin acts while the new password hashes
				close(gate.released)
				require.NoError(t, <-done)

				got := e.user(u.ID)
				assert.Equal(t, store.StatusSuspended, got.Status, "the suspension made meanwhile survives")
				assert.Equal(t, "abuse", got.SuspendedReason)
				ok, err := auth.Bcrypt{}.Verify(got.PasswordHash, "Brand-New-Secret-77")
				require.NoError(t, err)
				assert.True(t, ok, "the password change itself landed")
			})
		}
	})
}
