package auth

import (
	"context"

	"github.com/usermgmt/usermgmt/internal/textutil"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// StartEmailChange starts, inside tx, making newEmail (already normalised
// and checked by the caller) the address of u: it spends the user's older
// change links, so only the newest pending address can be confirmed, and
// writes the outbox job (JobConfirmEmailMail) that mails a change-email
// link (living Config.VerifyTTL, carrying the pending address) to the new
// address once tx commits; unless the user turned security alerts off, it
// also enqueues a notice to the old address, so that the owner learns of a
// change made with a stolen session. The caller sets u.PendingEmail and
// writes the audit row in the same transaction. VerifyEmail completes the
// change; it refuses the link (ErrInvalidToken) once PendingEmail no
// longer names that address, and answers ErrEmailTaken, leaving the link
// unspent, when another account took the address meanwhile.
func (s *Service) StartEmailChange(ctx context.Context, tx store.Repos, u *store.User, newEmail string) error {
	if err := s.CancelEmailChange(ctx, tx, u.ID); err != nil {
		return err
	}
	if err := s.enqueue(ctx, tx, JobConfirmEmailMail, u.ID, nil); err != nil {
		return err
	}
	if !u.Preferences.NotifySecurity || u.Email == "" {
		return nil
	}
	return notify.EnqueueTemplate(ctx, tx, s.cfg.Templates, notify.TemplateEmailChangeNotice, u.ID, u.Email, map[string]any{
		"Email": u.Email, "NewEmail": newEmail, "Time": s.now().UTC().Format("2006-01-02 15:04 UTC"),
		"ExpiresIn": textutil.HumanDuration(s.cfg.VerifyTTL),
	}, s.now())
}

// CancelEmailChange spends, inside tx, every change-email link of the
// user, for when the pending change is withdrawn.
func (s *Service) CancelEmailChange(ctx context.Context, tx store.Repos, userID string) error {
	_, err := tx.OneTimeTokens().SpendAll(ctx, userID, store.PurposeChangeEmail, s.now())
	return err
}
