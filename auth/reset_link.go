package auth

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// QueueReset writes, inside tx, the outbox job that mails the user a
// password-reset link living Config.ResetTTL, to POST /auth/reset-password.
// The job creates the link when it runs, after tx commits, spending the
// user's older reset and invitation links; so no mail announces a change
// that rolled back and no token waits in the outbox. The caller audits its
// own action in tx. The current password keeps working until the link is
// used.
func (s *Service) QueueReset(ctx context.Context, tx store.Repos, userID string) error {
	return s.enqueue(ctx, tx, JobResetMail, userID, map[string]any{"audited": true})
}

// QueueInvite is QueueReset for an account created without a password:
// the invitation message, and a link that lives Config.InviteTTL.
func (s *Service) QueueInvite(ctx context.Context, tx store.Repos, userID string) error {
	return s.enqueue(ctx, tx, JobResetMail, userID, map[string]any{"invite": true})
}
