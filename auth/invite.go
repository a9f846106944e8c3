package auth

import (
	"context"

	"github.com/usermgmt/usermgmt/notify"
)

// Invite mails the user an invitation: a link to set a password that lives
// InviteTTL (7 days by default) and goes, like a reset link, to
// POST /auth/reset-password. Older reset and invitation links die. It is
// audited as user.invite with the actor from the context. An unknown user
// is ErrUserNotFound.
func (s *Service) Invite(ctx context.Context, userID string) error {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.sendReset(ctx, u, notify.TemplateInvite, s.cfg.InviteTTL, "user.invite")
}
