package auth

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// VerifyEmail spends an email-verification link token: it marks the
// account's address verified or, for an email change, makes the pending
// address the account's. A bad, spent or expired token is ErrInvalidToken.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	if token == "" {
		return store.ErrInvalidToken
	}
	hash := hashSecret(token)
	t, err := s.st.OneTimeTokens().ByHash(ctx, store.PurposeVerifyEmail, hash)
	if errors.Is(err, store.ErrInvalidToken) {
		t, err = s.st.OneTimeTokens().ByHash(ctx, store.PurposeChangeEmail, hash)
	}
	if err != nil {
		return err
	}
	now := s.now()
	return s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.OneTimeTokens().Use(ctx, t.ID, now); err != nil {
			return err
		}
		action := "auth.verify_email"
		_, err := tx.Users().Update(ctx, t.UserID, func(u *store.User) error {
			if t.Purpose == store.PurposeChangeEmail {
				if u.PendingEmail == "" || u.PendingEmail != t.Data {
					return store.ErrInvalidToken
				}
				u.Email, u.PendingEmail, action = t.Data, "", "user.email_change"
			} else if u.Email != t.Data && t.Data != "" {
				// The address changed since the link was sent.
				return store.ErrInvalidToken
			}
			u.EmailVerified, u.UpdatedAt = true, now
			return nil
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: t.UserID, ActorID: t.UserID})
	})
}

// ResendVerification mails a new verification link when an unverified
// account has the address. It answers the same, at once, whatever the
// address: the work happens in the background.
func (s *Service) ResendVerification(ctx context.Context, raw string) error {
	email, ok := NormalizeEmail(raw)
	if !ok {
		return store.Validation(store.FieldError{Field: "email", Message: "must be a valid email address"})
	}
	s.cfg.Mail.Go(ctx, func(ctx context.Context) error {
		u, err := s.st.Users().ByEmail(ctx, email)
		if errors.Is(err, store.ErrUserNotFound) {
			return nil
		}
		if err != nil || u.EmailVerified || u.Status == store.StatusDeleted {
			return err
		}
		var token string
		err = s.st.InTx(ctx, func(tx store.Repos) error {
			if token, err = s.issueOneTime(ctx, tx, u.ID, store.PurposeVerifyEmail, s.cfg.VerifyTTL, u.Email); err != nil {
				return err
			}
			return s.audit.Record(ctx, tx, audit.Entry{Action: "auth.resend_verification", TargetID: u.ID, ActorID: u.ID})
		})
		if err != nil {
			return err
		}
		s.mailVerification(ctx, u.Email, token)
		return nil
	})
	return nil
}

// ForgotPassword mails a single-use reset link (valid for ResetTTL) when an
// account has the address. It answers the same, at once, whatever the
// address: the lookup and the mail happen in the background.
func (s *Service) ForgotPassword(ctx context.Context, raw string) error {
	email, ok := NormalizeEmail(raw)
	if !ok {
		return store.Validation(store.FieldError{Field: "email", Message: "must be a valid email address"})
	}
	s.cfg.Mail.Go(ctx, func(ctx context.Context) error {
		u, err := s.st.Users().ByEmail(ctx, email)
		if errors.Is(err, store.ErrUserNotFound) {
			return nil
		}
		if err != nil || u.Status == store.StatusDeleted {
			return err
		}
		return s.sendReset(ctx, u, notify.TemplateResetPassword, s.cfg.ResetTTL, "auth.password_reset_request")
	})
	return nil
}

// sendReset mails u a password-reset link that lives ttl, spending older
// ones; template is the reset or the invitation message. It is audited as
// action.
func (s *Service) sendReset(ctx context.Context, u *store.User, template string, ttl time.Duration, action string) error {
	var link *ResetLink
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		var err error
		if link, err = s.issueReset(ctx, tx, u, template, ttl); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: u.ID})
	})
	if err != nil {
		return err
	}
	link.Send(ctx)
	return nil
}

// ResetPassword sets a new password with a reset-link token. The token is
// spent, every other reset token dies, every session is revoked, and the
// address counts as verified (the link reached it).
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if token == "" {
		return store.ErrInvalidToken
	}
	t, err := s.st.OneTimeTokens().ByHash(ctx, store.PurposeResetPassword, hashSecret(token))
	if err != nil {
		return err
	}
	now := s.now()
	if t.UsedAt != nil || !now.Before(t.ExpiresAt) {
		return store.ErrInvalidToken
	}
	u, err := s.st.Users().ByID(ctx, t.UserID)
	if err != nil {
		return store.ErrInvalidToken.Wrap(err)
	}
	hash, err := s.newPasswordHash(ctx, u, password, "newPassword")
	if err != nil {
		return err
	}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.OneTimeTokens().Use(ctx, t.ID, now); err != nil {
			return err
		}
		// The link reached the address, so it counts as verified.
		if u, err = s.setPassword(ctx, tx, u, hash, "", func(u *store.User) { u.EmailVerified = true }); err != nil {
			return err
		}
		if err := tx.Lockout().Reset(ctx, u.Email); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "auth.password_reset", TargetID: u.ID, ActorID: u.ID})
	})
	if err != nil {
		return err
	}
	s.mailPasswordChanged(ctx, u)
	return nil
}

// ChangePassword replaces a signed-in user's password after checking the
// current one (ErrInvalidPassword when wrong). Every other session is
// revoked.
func (s *Service) ChangePassword(ctx context.Context, userID, sessionID, current, password string) error {
	var fc fieldCheck
	if current == "" {
		fc.add("currentPassword", "is required")
	}
	if password == "" {
		fc.add("newPassword", "is required")
	}
	if err := fc.err(); err != nil {
		return err
	}
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.verifyCurrentPassword(ctx, u, current, "auth.password_change"); err != nil {
		return err
	}
	hash, err := s.newPasswordHash(ctx, u, password, "newPassword")
	if err != nil {
		return err
	}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		var err error
		if u, err = s.setPassword(ctx, tx, u, hash, sessionID, nil); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "auth.password_change", TargetID: u.ID})
	})
	if err != nil {
		return err
	}
	s.mailPasswordChanged(ctx, u)
	return nil
}

// auditDenied records a refused action (every 403 is audited as denied).
func (s *Service) auditDenied(ctx context.Context, action, target, reason string) {
	e := audit.Entry{Action: action, TargetID: target, Outcome: store.OutcomeDenied,
		Metadata: map[string]string{"reason": reason}}
	if err := s.audit.RecordNow(ctx, e); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "audit denied failed", "action", action, "err", err)
	}
}

// newPasswordHash checks a new password against the policy and the
// history, and hashes it (outside any transaction: it is slow).
func (s *Service) newPasswordHash(ctx context.Context, u *store.User, password, field string) (string, error) {
	if password == "" {
		return "", store.Validation(store.FieldError{Field: field, Message: "is required"})
	}
	if err := s.cfg.Policy.Check(password, u.Email, u.Username); err != nil {
		return "", err
	}
	history, err := s.st.Users().PasswordHistory(ctx, u.ID, s.cfg.PasswordHistory)
	if err != nil {
		return "", err
	}
	for _, h := range history {
		if ok, _ := s.cfg.Passwords.Verify(h.Hash, password); ok {
			return "", store.ErrPasswordReused.WithMessage("password was one of your last " +
				strconv.Itoa(s.cfg.PasswordHistory) + " passwords")
		}
	}
	return s.cfg.Passwords.Hash(password)
}

// setPassword stores a new hash, records it in the history, kills every
// reset token and revokes the sessions but keep (which may be empty). It
// changes the row read under its lock, never the copy u that was read
// before the slow hash: a suspension or lock made meanwhile survives. A
// password changed meanwhile by someone else (the copy's hash is no longer
// the row's) refuses the change, as the current password it was checked
// against is gone. also, when not nil, makes further changes to the row.
// It returns the row as written.
func (s *Service) setPassword(ctx context.Context, tx store.Repos, u *store.User, hash, keep string, also func(*store.User)) (*store.User, error) {
	now := s.now()
	checked := u.PasswordHash
	u, err := tx.Users().Update(ctx, u.ID, func(u *store.User) error {
		if u.PasswordHash != checked {
			return store.ErrInvalidPassword.WithMessage("the password was changed meanwhile")
		}
		u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt = hash, &now, now
		if also != nil {
			also(u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tx.Users().AddPasswordHistory(ctx, store.PasswordHistoryEntry{UserID: u.ID, Hash: hash, CreatedAt: now}); err != nil {
		return nil, err
	}
	if _, err := tx.OneTimeTokens().SpendAll(ctx, u.ID, store.PurposeResetPassword, now); err != nil {
		return nil, err
	}
	if _, err := tx.Sessions().RevokeByUser(ctx, u.ID, keep, now, "password_change"); err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) mailPasswordChanged(ctx context.Context, u *store.User) {
	if !u.Preferences.NotifySecurity {
		return
	}
	if err := s.cfg.Mail.SendTemplate(ctx, s.cfg.Templates, notify.TemplatePasswordChanged, u.Email, map[string]any{
		"Email": u.Email, "Time": s.now().Format("2006-01-02 15:04 UTC"),
	}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "render mail failed", "template", notify.TemplatePasswordChanged, "err", err)
	}
}
