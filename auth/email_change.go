package auth

import (
	"context"

	"github.com/usermgmt/usermgmt/internal/textutil"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// EmailChange is an email change issued inside a transaction by
// StartEmailChange, to be mailed with Send once that transaction commits.
type EmailChange struct {
	s                  *Service
	oldEmail, newEmail string
	token              string
	notifyOld          bool
}

// StartEmailChange issues, inside tx, the link that makes newEmail (already
// normalised and checked by the caller) the address of u: a change-email
// token that lives Config.VerifyTTL, carrying the new address. It spends
// the user's older change links, so only the newest pending address can be
// confirmed. The caller sets u.PendingEmail and writes the audit row in
// the same transaction, and calls Send after it commits.
// VerifyEmail completes the change; it refuses the link (ErrInvalidToken)
// once PendingEmail no longer names that address, and answers
// ErrEmailTaken, leaving the link unspent, when another account took the
// address meanwhile.
func (s *Service) StartEmailChange(ctx context.Context, tx store.Repos, u *store.User, newEmail string) (*EmailChange, error) {
	token, err := s.issueOneTime(ctx, tx, u.ID, store.PurposeChangeEmail, s.cfg.VerifyTTL, newEmail)
	if err != nil {
		return nil, err
	}
	return &EmailChange{s: s, oldEmail: u.Email, newEmail: newEmail, token: token,
		notifyOld: u.Preferences.NotifySecurity}, nil
}

// CancelEmailChange spends, inside tx, every change-email link of the
// user, for when the pending change is withdrawn.
func (s *Service) CancelEmailChange(ctx context.Context, tx store.Repos, userID string) error {
	_, err := tx.OneTimeTokens().SpendAll(ctx, userID, store.PurposeChangeEmail, s.now())
	return err
}

// Send mails the confirmation link to the new address and, unless the
// user turned security alerts off, a notice to the old one, so that the
// owner learns of a change made with a stolen session. Mail goes out in
// the background; a template that fails to render is logged.
func (c *EmailChange) Send(ctx context.Context) {
	s := c.s
	if err := s.cfg.Mail.SendTemplate(ctx, s.cfg.Templates, notify.TemplateConfirmEmail, c.newEmail, map[string]any{
		"Email": c.newEmail, "Link": s.link(s.cfg.VerifyEmailPath, c.token), "ExpiresIn": textutil.HumanDuration(s.cfg.VerifyTTL),
	}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "render mail failed", "template", notify.TemplateConfirmEmail, "err", err)
	}
	if !c.notifyOld || c.oldEmail == "" {
		return
	}
	if err := s.cfg.Mail.SendTemplate(ctx, s.cfg.Templates, notify.TemplateEmailChangeNotice, c.oldEmail, map[string]any{
		"Email": c.oldEmail, "NewEmail": c.newEmail, "Time": s.now().UTC().Format("2006-01-02 15:04 UTC"),
		"ExpiresIn": textutil.HumanDuration(s.cfg.VerifyTTL),
	}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "render mail failed", "template", notify.TemplateEmailChangeNotice, "err", err)
	}
}
