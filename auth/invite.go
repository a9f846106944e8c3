package auth

import (
	"context"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// Invite mails the user an invitation: a link to set a password that lives
// InviteTTL (7 days by default) and goes, like a reset link, to
// POST /auth/reset-password. Older reset and invitation links die when it
// is sent. It is audited as user.invite with the actor from the context,
// in the transaction that writes the outbox job (JobResetMail) making the
// link and sending it. An unknown user is ErrUserNotFound.
func (s *Service) Invite(ctx context.Context, userID string) error {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.st.InTx(ctx, func(tx store.Repos) error {
		if err := s.QueueInvite(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "user.invite", TargetID: u.ID})
	})
}
