package users

import (
	"context"
	"time"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

// PublicProfile is what anyone may see of an account: no email, no
// status, no roles.
type PublicProfile struct {
	ID          string
	Username    string
	DisplayName string
	AvatarURL   string
	Bio         string
	CreatedAt   time.Time
}

// PublicProfile returns the public profile of the account with that
// username (in any letter case). It needs no actor. A private, suspended,
// deactivated, locked or deleted account answers ErrUserNotFound exactly
// as an unknown username does, so the answer tells nobody that the
// account exists.
func (s *Service) PublicProfile(ctx context.Context, username string) (*PublicProfile, error) {
	name, ok := auth.NormalizeUsername(username)
	if !ok {
		return nil, store.ErrUserNotFound
	}
	u, err := s.st.Users().ByUsername(ctx, name)
	if err != nil {
		return nil, err
	}
	if u.Status != store.StatusActive || u.Visibility == store.VisibilityPrivate || u.DeletedAt != nil {
		return nil, store.ErrUserNotFound
	}
	return &PublicProfile{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName,
		AvatarURL: u.AvatarURL, Bio: u.Bio, CreatedAt: u.CreatedAt}, nil
}
