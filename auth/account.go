package auth

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// NewAccount validates an account that someone other than its owner
// creates (an administrator, an import) and returns the user to insert
// with InsertAccount: the fields are checked and normalised as at
// registration, and the password, when given, meets the policy and is
// hashed with the configured hasher (outside any transaction: a slow hash
// must not hold a lock). Without a password the user is invited: the row
// has no hash until the invitation link (Invite) is used.
func (s *Service) NewAccount(in Registration) (*store.User, error) {
	u, err := s.newUser(in, in.Password == "")
	if err != nil || in.Password == "" {
		return u, err
	}
	if u.PasswordHash, err = s.cfg.Passwords.Hash(in.Password); err != nil {
		return nil, err
	}
	return u, nil
}

// InsertAccount inserts u, made by NewAccount, through tx with the roles
// of the given names and its first password-history entry. Duplicates
// fail with ErrEmailTaken or ErrUsernameTaken, an unknown role name with
// ErrRoleNotFound. It checks no permission and writes no audit row: the
// caller does both in tx.
func (s *Service) InsertAccount(ctx context.Context, tx store.Repos, u *store.User, roleNames ...string) error {
	return s.createUser(ctx, tx, u, roleNames...)
}
