package twofa

import (
	"context"
	"fmt"
	"time"

	"github.com/usermgmt/usermgmt/internal/textutil"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// Code delivery: where codes go, how they are stored and sent, and the
// security notices.

// storeCode stores the keyed hash of a code to send, spending the codes
// sent before: only the newest works.
func (s *Service) storeCode(ctx context.Context, tx store.Repos, key []byte, userID string, method store.TwoFactorMethod, code string, now time.Time) error {
	if _, err := tx.OneTimeTokens().SpendAll(ctx, userID, store.PurposeMFACode, now); err != nil {
		return err
	}
	return tx.OneTimeTokens().Create(ctx, &store.OneTimeToken{
		UserID: userID, Purpose: store.PurposeMFACode, Hash: keyedHash(key, "mfa-code", userID, code),
		Data: string(method), CreatedAt: now, ExpiresAt: now.Add(s.cfg.CodeTTL),
	})
}

// destination is where codes of the method go: the account's email, or
// its phone number in E.164 form.
func (s *Service) destination(u *store.User, method store.TwoFactorMethod) (string, error) {
	if method == store.MethodEmail {
		return u.Email, nil
	}
	if s.cfg.SMS == nil {
		return "", store.Validation(store.FieldError{Field: "method", Message: "sms is not available"})
	}
	if u.PhoneNumber == "" {
		return "", store.Validation(store.FieldError{Field: "phoneNumber", Message: "must be set in the profile to receive codes by sms"})
	}
	phone, ok := normalizePhone(u.PhoneNumber)
	if !ok {
		return "", store.Validation(store.FieldError{Field: "phoneNumber", Message: "must be in international form, such as +14155550123"})
	}
	return phone, nil
}

func mask(method store.TwoFactorMethod, to string) string {
	if method == store.MethodEmail {
		return maskEmail(to)
	}
	return maskPhone(to)
}

// deliver sends a code in the background, so that an answer neither waits
// on nor reveals anything through the mail server or SMS provider.
func (s *Service) deliver(ctx context.Context, method store.TwoFactorMethod, to, code string) {
	ttl := textutil.HumanDuration(s.cfg.CodeTTL)
	if method == store.MethodSMS {
		body := fmt.Sprintf("Your %s verification code is %s. It expires in %s. Never share it with anyone.",
			s.cfg.Issuer, code, ttl)
		s.cfg.Mail.Go(ctx, func(ctx context.Context) error { return s.cfg.SMS.SendSMS(ctx, to, body) })
		return
	}
	data := map[string]any{"Code": code, "ExpiresIn": ttl}
	if err := s.cfg.Mail.SendTemplate(ctx, s.cfg.Templates, notify.TemplateCode, to, data); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "render mail failed", "template", notify.TemplateCode, "err", err)
	}
}

// notice enqueues, in tx, the security notice of 2FA turned on or off
// with method at now, when the user wants them.
func (s *Service) notice(ctx context.Context, tx store.Repos, u *store.User, on bool, method store.TwoFactorMethod, now time.Time) error {
	if !u.Preferences.NotifySecurity {
		return nil
	}
	title, what, after := "Two-factor authentication turned off", "off", "Your password alone now signs you in."
	if on {
		title, what, after = "Two-factor authentication turned on", "on", "You now need a code as well as your password to sign in."
	}
	body := "Two-factor authentication (" + methodName(method) + ") was turned " + what + " for your account on " +
		now.UTC().Format("2006-01-02 15:04 UTC") + ". " + after
	data := map[string]any{"Title": title, "Body": body}
	return notify.EnqueueTemplate(ctx, tx, s.cfg.Templates, notify.TemplateSecurityNotice, u.ID, u.Email, data, s.cfg.Now())
}

func methodName(m store.TwoFactorMethod) string {
	switch m {
	case store.MethodTOTP:
		return "authenticator app"
	case store.MethodEmail:
		return "codes by email"
	case store.MethodSMS:
		return "codes by text message"
	}
	return string(m)
}
