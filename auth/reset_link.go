package auth

import (
	"context"
	"time"

	"github.com/usermgmt/usermgmt/internal/textutil"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// ResetLink is a password-reset or invitation link issued inside a
// transaction (IssueReset, IssueInvite), to be mailed with Send once that
// transaction commits, so that no mail announces a change that rolled
// back.
type ResetLink struct {
	s        *Service
	email    string
	template string
	ttl      time.Duration
	token    string
}

// IssueReset issues, inside tx, a password-reset link for u that lives
// Config.ResetTTL and goes to POST /auth/reset-password, spending the
// user's older reset and invitation links. The caller writes the audit row
// in tx and calls Send after it commits. The current password keeps
// working until the link is used.
func (s *Service) IssueReset(ctx context.Context, tx store.Repos, u *store.User) (*ResetLink, error) {
	return s.issueReset(ctx, tx, u, notify.TemplateResetPassword, s.cfg.ResetTTL)
}

// IssueInvite is IssueReset for an account created without a password:
// the invitation message, and a link that lives Config.InviteTTL.
func (s *Service) IssueInvite(ctx context.Context, tx store.Repos, u *store.User) (*ResetLink, error) {
	return s.issueReset(ctx, tx, u, notify.TemplateInvite, s.cfg.InviteTTL)
}

func (s *Service) issueReset(ctx context.Context, tx store.Repos, u *store.User, template string, ttl time.Duration) (*ResetLink, error) {
	token, err := s.issueOneTime(ctx, tx, u.ID, store.PurposeResetPassword, ttl, "")
	if err != nil {
		return nil, err
	}
	return &ResetLink{s: s, email: u.Email, template: template, ttl: ttl, token: token}, nil
}

// Send mails the link. Mail goes out through the configured mailer; a
// template that fails to render is logged.
func (l *ResetLink) Send(ctx context.Context) {
	s := l.s
	if err := s.cfg.Mail.SendTemplate(ctx, s.cfg.Templates, l.template, l.email, map[string]any{
		"Email": l.email, "Link": s.link(s.cfg.ResetPasswordPath, l.token), "ExpiresIn": textutil.HumanDuration(l.ttl),
	}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "render mail failed", "template", l.template, "err", err)
	}
}
