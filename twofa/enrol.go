package twofa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// Enrolment: Setup, Enable, Disable and the backup codes.

// Enrolment is what Setup answers. For TOTP it carries the secret, the
// otpauth:// URL and the QR code of that URL; for email and SMS the masked
// address or number the code went to. It redacts itself in logs.
type Enrolment struct {
	Method store.TwoFactorMethod
	// Secret is the TOTP secret in base32, for typing into an app.
	Secret string
	// URL is the otpauth:// URL with the issuer and the account's email.
	URL string
	// QRCode is URL as a PNG QR code in a data:image/png;base64, URL.
	QRCode string
	// SentTo is the masked destination of the code ("a***@example.com",
	// "+*******1234").
	SentTo string
}

// LogValue implements slog.LogValuer.
func (e Enrolment) LogValue() slog.Value {
	return slog.GroupValue(slog.String("method", string(e.Method)), slog.String("sent_to", e.SentTo))
}

// pendingEnrolment is a Setup being made: the row to store, the answer,
// and for email and SMS the code to send and where.
type pendingEnrolment struct {
	tf       *store.TwoFactor
	out      *Enrolment
	to, code string
}

// Setup starts enrolling the user in a method; 2FA stays off until Enable
// proves a code. For TOTP it makes a 160-bit secret; for email it mails a
// code and for sms it texts one to the profile's phone number (which must
// be set: else a VALIDATION_FAILED error naming phoneNumber). A new Setup
// replaces an unfinished one. It returns ErrMFAAlreadyEnabled when 2FA is
// on.
//
// Setup needs a recent authentication of the user (see Config.RecentAuth):
// a sign-in or step-up within the privileged window, or password, which
// may be empty otherwise. Else it returns ErrReauthenticationRequired, or
// ErrInvalidPassword for a wrong password.
func (s *Service) Setup(ctx context.Context, userID, password string, method store.TwoFactorMethod) (*Enrolment, error) {
	switch method {
	case store.MethodTOTP, store.MethodEmail, store.MethodSMS:
	default:
		return nil, store.Validation(store.FieldError{Field: "method", Message: "must be totp, email or sms"})
	}
	if err := s.requireRecentAuth(ctx, "2fa.setup", userID, password); err != nil {
		return nil, err
	}
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.TwoFactorEnabled {
		return nil, store.ErrMFAAlreadyEnabled
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.newEnrolment(keys[0], u, method)
	if err != nil {
		return nil, err
	}
	if err := s.storeEnrolment(ctx, keys[0], p); err != nil {
		return nil, err
	}
	if p.code != "" {
		s.deliver(ctx, method, p.to, p.code)
	}
	return p.out, nil
}

// newEnrolment makes the secret of a TOTP enrolment, or the code of an
// email or SMS one.
func (s *Service) newEnrolment(key []byte, u *store.User, method store.TwoFactorMethod) (*pendingEnrolment, error) {
	now := s.now()
	p := &pendingEnrolment{
		tf:  &store.TwoFactor{UserID: u.ID, Method: method, CreatedAt: now, UpdatedAt: now},
		out: &Enrolment{Method: method},
	}
	var err error
	if method != store.MethodTOTP {
		if p.to, err = s.destination(u, method); err != nil {
			return nil, err
		}
		if p.code, err = newNumericCode(s.cfg.Random); err != nil {
			return nil, err
		}
		p.out.SentTo = mask(method, p.to)
		return p, nil
	}
	secret := make([]byte, TOTPSecretSize)
	if _, err := io.ReadFull(s.cfg.Random, secret); err != nil {
		return nil, fmt.Errorf("twofa: random: %w", err)
	}
	if p.tf.Secret, err = seal(key, s.cfg.Random, u.ID, secret); err != nil {
		return nil, err
	}
	p.out.Secret = base32NoPad.EncodeToString(secret)
	if p.out.URL, p.out.QRCode, err = totpKey(s.cfg.Issuer, u.Email, secret); err != nil {
		return nil, err
	}
	return p, nil
}

// storeEnrolment stores a Setup, and its code, with its audit row.
func (s *Service) storeEnrolment(ctx context.Context, key []byte, p *pendingEnrolment) error {
	return s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.TwoFactor().Put(ctx, p.tf); err != nil {
			return err
		}
		if p.code != "" {
			if err := s.storeCode(ctx, tx, key, p.tf.UserID, p.tf.Method, p.code, p.tf.CreatedAt); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.setup", TargetID: p.tf.UserID,
			Metadata: map[string]string{"method": string(p.tf.Method)}})
	})
}

// Enable turns 2FA on once code proves the method set up by Setup works,
// and returns 10 new backup codes. It returns ErrMFAAlreadyEnabled when 2FA
// is on, ErrMFANotEnabled when nothing was set up, and ErrInvalidCode for a
// wrong code. The user is mailed a security notice. Like Setup, it needs
// a recent authentication or password, checked before the code.
func (s *Service) Enable(ctx context.Context, userID, password, code string) (BackupCodes, error) {
	if code == "" {
		return nil, store.Validation(store.FieldError{Field: "code", Message: "is required"})
	}
	if err := s.requireRecentAuth(ctx, "2fa.enable", userID, password); err != nil {
		return nil, err
	}
	u, tf, err := s.pending(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.checkMethodCode(ctx, u.ID, tf, code); err != nil {
		s.auditFailure(ctx, "2fa.enable", u.ID, err)
		return nil, err
	}
	codes, rows, err := s.newBackupCodes(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.turnOn(ctx, u.ID, tf, rows, now); err != nil {
		return nil, err
	}
	return codes, nil
}

// requireRecentAuth refuses an enrolment change unless the actor is the
// user (or the host's own code) and authenticated recently or gave the
// password. Config.RecentAuth audits its own refusals.
func (s *Service) requireRecentAuth(ctx context.Context, action, userID, password string) error {
	if a, ok := store.ActorFromContext(ctx); ok && !a.System && a.UserID != userID {
		s.record(ctx, audit.Entry{Action: action, TargetID: userID, Outcome: store.OutcomeDenied,
			Metadata: map[string]string{"reason": "other_user"}})
		return audit.MarkRecorded(store.ErrPermissionDenied.WithMessage("only the user can change their second factor"))
	}
	return s.cfg.RecentAuth.RequireRecentAuth(ctx, password)
}

// pending returns the user and the enrolment Setup started, which is not
// enabled yet.
func (s *Service) pending(ctx context.Context, userID string) (*store.User, *store.TwoFactor, error) {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if u.TwoFactorEnabled {
		return nil, nil, store.ErrMFAAlreadyEnabled
	}
	tf, err := s.st.TwoFactor().Get(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, store.ErrMFANotEnabled.WithMessage("two-factor authentication is not set up")
	}
	if err != nil {
		return nil, nil, err
	}
	return u, tf, nil
}

// turnOn enables the enrolment tf, whose code was just proved, with its
// backup codes, unless it changed since it was read.
func (s *Service) turnOn(ctx context.Context, userID string, tf *store.TwoFactor, rows []store.BackupCode, now time.Time) error {
	return s.st.InTx(ctx, func(tx store.Repos) error {
		cur, err := tx.Users().ByID(ctx, userID)
		if err != nil {
			return err
		}
		if cur.TwoFactorEnabled {
			return store.ErrMFAAlreadyEnabled
		}
		// Re-read: the check above advanced the TOTP step, which a stale
		// copy would put back.
		t, err := tx.TwoFactor().Get(ctx, userID)
		if err != nil {
			return err
		}
		if t.Method != tf.Method || !bytes.Equal(t.Secret, tf.Secret) {
			return store.ErrInvalidCode.WithMessage("two-factor setup changed; set it up again")
		}
		t.Enabled, t.UpdatedAt = true, now
		if err := tx.TwoFactor().Put(ctx, t); err != nil {
			return err
		}
		if _, err := tx.Users().Update(ctx, userID, func(cur *store.User) error {
			if cur.TwoFactorEnabled {
				// Checked again under the row lock: a parallel enable won.
				return store.ErrMFAAlreadyEnabled
			}
			cur.TwoFactorEnabled, cur.TwoFactorMethod, cur.UpdatedAt = true, string(t.Method), now
			return nil
		}); err != nil {
			return err
		}
		if err := tx.TwoFactor().ReplaceBackupCodes(ctx, userID, rows); err != nil {
			return err
		}
		return s.announce(ctx, tx, cur, true, t.Method, now)
	})
}

// Disable turns 2FA off. It needs the password (ErrInvalidPassword when
// wrong) and a current code of the method or an unused backup code
// (ErrInvalidCode when wrong; wrong codes count towards the lock of Check).
// The enrolment and the backup codes are deleted, and the user is mailed a
// security notice.
func (s *Service) Disable(ctx context.Context, userID, password, code string) error {
	var fc []store.FieldError
	if password == "" {
		fc = append(fc, store.FieldError{Field: "password", Message: "is required"})
	}
	if code == "" {
		fc = append(fc, store.FieldError{Field: "code", Message: "is required"})
	}
	if len(fc) > 0 {
		return store.Validation(fc...)
	}
	u, tf, err := s.enabled(ctx, userID)
	if err != nil {
		return err
	}
	if !s.checkPassword(u, password) {
		s.auditDenied(ctx, "2fa.disable", u.ID)
		return audit.MarkRecorded(store.ErrInvalidPassword)
	}
	if err := s.guard(ctx, u.ID, func() error { return s.checkAnyCode(ctx, u.ID, tf, code) }); err != nil {
		s.auditFailure(ctx, "2fa.disable", u.ID, err)
		return err
	}
	now := s.now()
	if err := s.turnOff(ctx, u.ID, tf.Method, now); err != nil {
		return err
	}
	return nil
}

// turnOff deletes the user's enrolment, backup codes and sent codes.
func (s *Service) turnOff(ctx context.Context, userID string, method store.TwoFactorMethod, now time.Time) error {
	return s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.TwoFactor().Delete(ctx, userID); err != nil {
			return err
		}
		if _, err := tx.OneTimeTokens().SpendAll(ctx, userID, store.PurposeMFACode, now); err != nil {
			return err
		}
		u, err := tx.Users().Update(ctx, userID, func(cur *store.User) error {
			cur.TwoFactorEnabled, cur.TwoFactorMethod, cur.UpdatedAt = false, "", now
			return nil
		})
		if err != nil {
			return err
		}
		return s.announce(ctx, tx, u, false, method, now)
	})
}

// announce writes, in tx, what turning 2FA on or off for u tells others:
// the domain event, the security email (if u keeps security alerts on),
// the in-app notice (if u keeps those on) and the audit row.
func (s *Service) announce(ctx context.Context, tx store.Repos, u *store.User, on bool, method store.TwoFactorMethod, now time.Time) error {
	change, action, notice := "disabled", "2fa.disable", notify.TwoFADisabledNotice(string(method), now)
	if on {
		change, action, notice = "enabled", "2fa.enable", notify.TwoFAEnabledNotice(string(method), now)
	}
	if err := s.events.Emit(ctx, tx, u.ID, events.TwoFactorChanged{Change: change, Method: string(method)}); err != nil {
		return err
	}
	if err := s.notice(ctx, tx, u, on, method, now); err != nil {
		return err
	}
	if _, err := notify.NewInApp(s.cfg.Now).Notify(ctx, tx, u.ID, notice); err != nil {
		return err
	}
	return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: u.ID,
		Metadata: map[string]string{"method": string(method)}})
}
