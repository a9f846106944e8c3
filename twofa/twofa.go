package twofa

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// Config holds what the Service needs. Zero values take the defaults named
// per field.
type Config struct {
	Store store.Store
	Audit *audit.Log
	// Mail sends code mails and security notices in the background.
	Mail *notify.Async
	// SMS sends codes by text message; when nil the sms method is refused.
	SMS notify.SMSSender
	// Templates render the mails. Default: notify.DefaultTemplates().
	Templates *notify.Templates
	// Passwords checks the password that disabling 2FA and regenerating
	// backup codes ask for.
	Passwords auth.Passwords
	// Issuer names the service in authenticator apps. Default: "usermgmt".
	Issuer string
	// Key is the 32-byte AES-256 key that seals TOTP secrets and keys the
	// hashes of backup and sent codes. PreviousKeys still open and match
	// what older keys sealed and hashed, so a key can be rotated; a TOTP
	// secret is resealed with Key when next used.
	//
	// When Key is nil, a random key is made once and kept in the store,
	// shared by every instance. Then a dump of the database alone yields
	// the TOTP secrets: hosts should provide a key.
	Key          []byte
	PreviousKeys [][]byte
	// Lockout decides when wrong codes lock the account's second factor
	// (auth.MFAFailuresKey). Default: 5 wrong codes within 15 minutes lock
	// it for 15 minutes, doubling on each repeat up to a day.
	Lockout store.LockoutPolicy
	// CodeTTL is how long a code sent by email or SMS lives. Default: 10
	// minutes.
	CodeTTL time.Duration
	Now     func() time.Time
	Random  io.Reader
	Logger  *slog.Logger
}

// Tries a sent code allows before it dies.
const codeAttempts = 5

func (c *Config) defaults() {
	if c.Templates == nil {
		c.Templates = notify.DefaultTemplates()
	}
	if c.Passwords.Preferred == nil {
		c.Passwords.Preferred = auth.Bcrypt{}
	}
	if c.Issuer == "" {
		c.Issuer = "usermgmt"
	}
	if c.Lockout.Threshold == 0 {
		c.Lockout.Threshold = 5
	}
	setDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	setDur(&c.Lockout.Window, 15*time.Minute)
	setDur(&c.Lockout.LockFor, 15*time.Minute)
	setDur(&c.Lockout.MaxLock, 24*time.Hour)
	setDur(&c.CodeTTL, 10*time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Random == nil {
		c.Random = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Service implements two-factor authentication: TOTP with authenticator
// apps, codes by email or SMS, single-use backup codes, step-up
// verification, and the second half of a login (it is an
// auth.SecondFactor). It is safe for concurrent use.
type Service struct {
	cfg   Config
	st    store.Store
	audit *audit.Log
	keys  *keyring
}

var _ auth.SecondFactor = (*Service)(nil)

// New returns a Service. It fails when a key is not 32 bytes long.
func New(cfg Config) (*Service, error) {
	cfg.defaults()
	switch {
	case cfg.Store == nil:
		return nil, errors.New("twofa: nil store")
	case cfg.Audit == nil:
		return nil, errors.New("twofa: nil audit log")
	case cfg.Mail == nil:
		return nil, errors.New("twofa: nil mail sender")
	case cfg.Key == nil && len(cfg.PreviousKeys) > 0:
		return nil, errors.New("twofa: PreviousKeys without Key")
	}
	var configured [][]byte
	if cfg.Key != nil {
		configured = append(configured, cfg.Key)
		configured = append(configured, cfg.PreviousKeys...)
	}
	for _, k := range configured {
		if len(k) != KeySize {
			return nil, fmt.Errorf("twofa: encryption key must be %d bytes, got %d", KeySize, len(k))
		}
	}
	if cfg.Key == nil {
		cfg.Logger.Warn("twofa: TOTP secrets are encrypted with a key kept in the store, so a database dump " +
			"alone yields them; provide a key (usermgmt.WithEncryptionKey)")
	}
	return &Service{
		cfg: cfg, st: cfg.Store, audit: cfg.Audit,
		keys: &keyring{st: cfg.Store, random: cfg.Random, now: cfg.Now, configured: configured},
	}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Status is a user's two-factor state.
type Status struct {
	Enabled bool
	// Method is the enabled method, or empty when 2FA is off.
	Method               store.TwoFactorMethod
	BackupCodesRemaining int
}

// Status returns the user's two-factor state.
func (s *Service) Status(ctx context.Context, userID string) (Status, error) {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return Status{}, err
	}
	if !u.TwoFactorEnabled {
		return Status{}, nil
	}
	n, err := s.st.TwoFactor().BackupCodesRemaining(ctx, userID)
	if err != nil {
		return Status{}, err
	}
	return Status{Enabled: true, Method: store.TwoFactorMethod(u.TwoFactorMethod), BackupCodesRemaining: n}, nil
}

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

// Setup starts enrolling the user in a method; 2FA stays off until Enable
// proves a code. For TOTP it makes a 160-bit secret; for email it mails a
// code and for sms it texts one to the profile's phone number (which must
// be set: else a VALIDATION_FAILED error naming phoneNumber). A new Setup
// replaces an unfinished one. It returns ErrMFAAlreadyEnabled when 2FA is
// on.
func (s *Service) Setup(ctx context.Context, userID string, method store.TwoFactorMethod) (*Enrolment, error) {
	switch method {
	case store.MethodTOTP, store.MethodEmail, store.MethodSMS:
	default:
		return nil, store.Validation(store.FieldError{Field: "method", Message: "must be totp, email or sms"})
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
	now := s.now()
	tf := &store.TwoFactor{UserID: u.ID, Method: method, CreatedAt: now, UpdatedAt: now}
	out := &Enrolment{Method: method}
	var to, code string
	if method == store.MethodTOTP {
		secret := make([]byte, TOTPSecretSize)
		if _, err := io.ReadFull(s.cfg.Random, secret); err != nil {
			return nil, fmt.Errorf("twofa: random: %w", err)
		}
		if tf.Secret, err = seal(keys[0], s.cfg.Random, u.ID, secret); err != nil {
			return nil, err
		}
		out.Secret = base32NoPad.EncodeToString(secret)
		if out.URL, out.QRCode, err = totpKey(s.cfg.Issuer, u.Email, secret); err != nil {
			return nil, err
		}
	} else {
		if to, err = s.destination(u, method); err != nil {
			return nil, err
		}
		if code, err = newNumericCode(s.cfg.Random); err != nil {
			return nil, err
		}
		out.SentTo = mask(method, to)
	}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.TwoFactor().Put(ctx, tf); err != nil {
			return err
		}
		if code != "" {
			if err := s.storeCode(ctx, tx, keys[0], u.ID, method, code, now); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.setup", TargetID: u.ID,
			Metadata: map[string]string{"method": string(method)}})
	})
	if err != nil {
		return nil, err
	}
	if code != "" {
		s.deliver(ctx, method, to, code)
	}
	return out, nil
}

// Enable turns 2FA on once code proves the method set up by Setup works,
// and returns 10 new backup codes. It returns ErrMFAAlreadyEnabled when 2FA
// is on, ErrMFANotEnabled when nothing was set up, and ErrInvalidCode for a
// wrong code. The user is mailed a security notice.
func (s *Service) Enable(ctx context.Context, userID, code string) (BackupCodes, error) {
	if code == "" {
		return nil, store.Validation(store.FieldError{Field: "code", Message: "is required"})
	}
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.TwoFactorEnabled {
		return nil, store.ErrMFAAlreadyEnabled
	}
	tf, err := s.st.TwoFactor().Get(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.ErrMFANotEnabled.WithMessage("two-factor authentication is not set up")
	}
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
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		cur, err := tx.Users().ByID(ctx, u.ID)
		if err != nil {
			return err
		}
		if cur.TwoFactorEnabled {
			return store.ErrMFAAlreadyEnabled
		}
		// Re-read: the check above advanced the TOTP step, which a stale
		// copy would put back.
		t, err := tx.TwoFactor().Get(ctx, u.ID)
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
		if _, err := tx.Users().Update(ctx, u.ID, func(cur *store.User) error {
			if cur.TwoFactorEnabled {
				// Checked again under the row lock: a parallel enable won.
				return store.ErrMFAAlreadyEnabled
			}
			cur.TwoFactorEnabled, cur.TwoFactorMethod, cur.UpdatedAt = true, string(t.Method), now
			return nil
		}); err != nil {
			return err
		}
		if err := tx.TwoFactor().ReplaceBackupCodes(ctx, u.ID, rows); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.enable", TargetID: u.ID,
			Metadata: map[string]string{"method": string(t.Method)}})
	})
	if err != nil {
		return nil, err
	}
	s.notice(ctx, u, "Two-factor authentication turned on",
		"Two-factor authentication ("+methodName(tf.Method)+") was turned on for your account on "+
			now.Format("2006-01-02 15:04 UTC")+". You now need a code as well as your password to sign in.")
	return codes, nil
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
	err = s.guard(ctx, u.ID, func() error {
		if _, ok := normalizeNumericCode(code); ok {
			return s.checkMethodCode(ctx, u.ID, tf, code)
		}
		return s.useBackupCode(ctx, u.ID, code)
	})
	if err != nil {
		s.auditFailure(ctx, "2fa.disable", u.ID, err)
		return err
	}
	now := s.now()
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.TwoFactor().Delete(ctx, u.ID); err != nil {
			return err
		}
		if _, err := tx.OneTimeTokens().SpendAll(ctx, u.ID, store.PurposeMFACode, now); err != nil {
			return err
		}
		if _, err := tx.Users().Update(ctx, u.ID, func(cur *store.User) error {
			cur.TwoFactorEnabled, cur.TwoFactorMethod, cur.UpdatedAt = false, "", now
			return nil
		}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.disable", TargetID: u.ID,
			Metadata: map[string]string{"method": string(tf.Method)}})
	})
	if err != nil {
		return err
	}
	s.notice(ctx, u, "Two-factor authentication turned off",
		"Two-factor authentication ("+methodName(tf.Method)+") was turned off for your account on "+
			now.Format("2006-01-02 15:04 UTC")+". Your password alone now signs you in.")
	return nil
}

// Verify checks a current code of the user's method for a step-up and
// marks the session (when sessionID is not empty) as verified now. Errors
// are those of Check.
func (s *Service) Verify(ctx context.Context, userID, sessionID, code string) error {
	return s.stepUp(ctx, "2fa.verify", userID, sessionID, code, false)
}

// VerifyBackup is Verify with a backup code, which it spends. It returns
// how many unused backup codes remain.
func (s *Service) VerifyBackup(ctx context.Context, userID, sessionID, code string) (int, error) {
	if err := s.stepUp(ctx, "2fa.verify_backup", userID, sessionID, code, true); err != nil {
		return 0, err
	}
	return s.st.TwoFactor().BackupCodesRemaining(ctx, userID)
}

func (s *Service) stepUp(ctx context.Context, action, userID, sessionID, code string, backup bool) error {
	if code == "" {
		return store.Validation(store.FieldError{Field: "code", Message: "is required"})
	}
	u, tf, err := s.enabled(ctx, userID)
	if err != nil {
		return err
	}
	err = s.guard(ctx, u.ID, func() error {
		if backup {
			return s.useBackupCode(ctx, u.ID, code)
		}
		return s.checkMethodCode(ctx, u.ID, tf, code)
	})
	if err != nil {
		s.auditFailure(ctx, action, u.ID, err)
		return err
	}
	now := s.now()
	return s.st.InTx(ctx, func(tx store.Repos) error {
		meta := map[string]string{}
		if sessionID != "" {
			if err := tx.Sessions().MarkMFAVerified(ctx, sessionID, now); err != nil {
				return err
			}
			meta["session_id"] = sessionID
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: u.ID, Metadata: meta})
	})
}

// RegenerateBackupCodes replaces the user's backup codes with 10 new ones;
// the old ones are spent. It needs the password (ErrInvalidPassword when
// wrong) and returns ErrMFANotEnabled when 2FA is off.
func (s *Service) RegenerateBackupCodes(ctx context.Context, userID, password string) (BackupCodes, error) {
	if password == "" {
		return nil, store.Validation(store.FieldError{Field: "password", Message: "is required"})
	}
	u, _, err := s.enabled(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !s.checkPassword(u, password) {
		s.auditDenied(ctx, "2fa.backup_codes_regenerate", u.ID)
		return nil, audit.MarkRecorded(store.ErrInvalidPassword)
	}
	codes, rows, err := s.newBackupCodes(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.TwoFactor().ReplaceBackupCodes(ctx, u.ID, rows); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.backup_codes_regenerate", TargetID: u.ID})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// SendCode sends a signed-in user of the email or sms method a code, for
// Verify or Disable, and returns the method and where the code went,
// masked. It returns ErrMFANotEnabled when 2FA is off or its method sends
// no codes (TOTP).
func (s *Service) SendCode(ctx context.Context, userID string) (method store.TwoFactorMethod, sentTo string, err error) {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return "", "", err
	}
	sentTo, err = s.Send(ctx, u, u.TwoFactorMethod)
	return store.TwoFactorMethod(u.TwoFactorMethod), sentTo, err
}

// Methods implements auth.SecondFactor: the user's enabled method.
func (s *Service) Methods(_ context.Context, u *store.User) []string {
	if !u.TwoFactorEnabled || u.TwoFactorMethod == "" {
		return nil
	}
	return []string{u.TwoFactorMethod}
}

// Send implements auth.SecondFactor: it sends u a code by method, which
// must be u's enabled method and one that sends codes (email or sms), and
// returns where it went, masked. A new code replaces the one sent before.
func (s *Service) Send(ctx context.Context, u *store.User, method string) (string, error) {
	m := store.TwoFactorMethod(method)
	if !u.TwoFactorEnabled || u.TwoFactorMethod != method || (m != store.MethodEmail && m != store.MethodSMS) {
		return "", store.ErrMFANotEnabled.WithMessage("that method is not enabled for this account")
	}
	to, err := s.destination(u, m)
	if err != nil {
		return "", err
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return "", err
	}
	code, err := newNumericCode(s.cfg.Random)
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := s.storeCode(ctx, tx, keys[0], u.ID, m, code, now); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.send", TargetID: u.ID, ActorID: u.ID,
			Metadata: map[string]string{"method": method}})
	})
	if err != nil {
		return "", err
	}
	s.deliver(ctx, m, to, code)
	return mask(m, to), nil
}

// Check implements auth.SecondFactor.
func (s *Service) Check(ctx context.Context, u *store.User, code string) error {
	_, tf, err := s.enabled(ctx, u.ID)
	if err != nil {
		return err
	}
	return s.guard(ctx, u.ID, func() error { return s.checkMethodCode(ctx, u.ID, tf, code) })
}

// CheckBackup implements auth.SecondFactor.
func (s *Service) CheckBackup(ctx context.Context, u *store.User, code string) error {
	if _, _, err := s.enabled(ctx, u.ID); err != nil {
		return err
	}
	return s.guard(ctx, u.ID, func() error { return s.useBackupCode(ctx, u.ID, code) })
}

// enabled returns the user and the enrolment, or ErrMFANotEnabled.
func (s *Service) enabled(ctx context.Context, userID string) (*store.User, *store.TwoFactor, error) {
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if !u.TwoFactorEnabled {
		return nil, nil, store.ErrMFANotEnabled
	}
	tf, err := s.st.TwoFactor().Get(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !tf.Enabled) {
		return nil, nil, store.ErrMFANotEnabled
	}
	if err != nil {
		return nil, nil, err
	}
	return u, tf, nil
}

// guard runs check counting it, before it runs, as a failure of the
// user's second factor; a success takes the count back. Counting first,
// in one atomic step, keeps parallel guesses within the threshold. Once
// the count passes the threshold the lock refuses without running check, so
// a locked account answers alike for right and wrong codes.
func (s *Service) guard(ctx context.Context, userID string, check func() error) error {
	now := s.now()
	key := auth.MFAFailuresKey(userID)
	f, err := s.st.Lockout().RecordFailure(ctx, key, now, s.cfg.Lockout)
	if err != nil {
		return err
	}
	if f.Count > s.cfg.Lockout.Threshold && f.LockedUntil != nil && now.Before(*f.LockedUntil) {
		secs := int(f.LockedUntil.Sub(now).Seconds()) + 1
		return store.ErrAccountLocked.With("retryAfter", secs).
			With("lockedUntil", f.LockedUntil.UTC().Format(time.RFC3339))
	}
	if err := check(); err != nil {
		return err
	}
	return s.st.Lockout().Reset(ctx, key)
}

// checkMethodCode checks and spends a code of the enrolment's method.
func (s *Service) checkMethodCode(ctx context.Context, userID string, tf *store.TwoFactor, code string) error {
	switch tf.Method {
	case store.MethodTOTP:
		return s.checkTOTP(ctx, userID, tf, code)
	case store.MethodEmail, store.MethodSMS:
		return s.checkSentCode(ctx, userID, tf.Method, code)
	}
	return store.ErrInvalidCode
}

// checkTOTP accepts the code of the current time step or of one step
// either side, and each step once: the store advances the user's last
// step atomically, so a code replayed (or raced) in its window is refused.
func (s *Service) checkTOTP(ctx context.Context, userID string, tf *store.TwoFactor, code string) error {
	code, ok := normalizeNumericCode(code)
	if !ok {
		return store.ErrInvalidCode
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return err
	}
	secret, used, err := open(keys, userID, tf.Secret)
	if err != nil {
		return store.ErrInternal.Wrap(err)
	}
	cur := totpStep(s.now().Unix())
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if step <= tf.LastStep || step < 0 {
			continue
		}
		want, err := totpCode(secret, step, codeDigits)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		ok, err := s.st.TwoFactor().AdvanceStep(ctx, userID, step)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrInvalidCode
		}
		if used > 0 {
			s.reseal(ctx, userID, tf.Secret, secret, step)
		}
		return nil
	}
	return store.ErrInvalidCode
}

// reseal seals a secret that an older key opened with the current key, so
// the older key can be retired. A failure is logged: the old key still
// opens it.
func (s *Service) reseal(ctx context.Context, userID string, old, secret []byte, step int64) {
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return
	}
	sealed, err := seal(keys[0], s.cfg.Random, userID, secret)
	if err == nil {
		err = s.st.InTx(ctx, func(tx store.Repos) error {
			t, err := tx.TwoFactor().Get(ctx, userID)
			if err != nil || !bytes.Equal(t.Secret, old) {
				return err
			}
			t.Secret, t.LastStep, t.UpdatedAt = sealed, max(t.LastStep, step), s.now()
			return tx.TwoFactor().Put(ctx, t)
		})
	}
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "twofa: reseal totp secret failed", "user_id", userID, "err", err)
	}
}

// checkSentCode checks the newest code sent to the user by method. A wrong
// guess counts against the code, which dies after 5.
func (s *Service) checkSentCode(ctx context.Context, userID string, method store.TwoFactorMethod, code string) error {
	t, err := s.st.OneTimeTokens().Latest(ctx, userID, store.PurposeMFACode)
	if errors.Is(err, store.ErrInvalidToken) {
		return store.ErrInvalidCode
	}
	if err != nil {
		return err
	}
	now := s.now()
	if t.Data != string(method) || !now.Before(t.ExpiresAt) {
		return store.ErrInvalidCode
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return err
	}
	match := false
	if code, ok := normalizeNumericCode(code); ok {
		for _, key := range keys {
			if hmac.Equal(keyedHash(key, "mfa-code", userID, code), t.Hash) {
				match = true
			}
		}
	}
	if !match {
		if _, err := s.st.OneTimeTokens().AddAttempt(ctx, t.ID, codeAttempts, now); err != nil && !errors.Is(err, store.ErrInvalidToken) {
			return err
		}
		return store.ErrInvalidCode
	}
	if err := s.st.OneTimeTokens().Use(ctx, t.ID, now); err != nil {
		if errors.Is(err, store.ErrInvalidToken) {
			return store.ErrInvalidCode
		}
		return err
	}
	return nil
}

// useBackupCode spends the user's unused backup code equal to code.
func (s *Service) useBackupCode(ctx context.Context, userID, code string) error {
	code, ok := normalizeBackupCode(code)
	if !ok {
		return store.ErrInvalidCode
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, key := range keys {
		err := s.st.TwoFactor().UseBackupCode(ctx, userID, keyedHash(key, "backup-code", userID, code), now)
		if !errors.Is(err, store.ErrInvalidCode) {
			return err
		}
	}
	return store.ErrInvalidCode
}

// newBackupCodes makes a set of backup codes and the rows that store their
// keyed hashes.
func (s *Service) newBackupCodes(ctx context.Context, userID string) (BackupCodes, []store.BackupCode, error) {
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	codes := make(BackupCodes, 0, BackupCodeCount)
	rows := make([]store.BackupCode, 0, BackupCodeCount)
	seen := map[string]bool{}
	for len(codes) < BackupCodeCount {
		c, err := newBackupCode(s.cfg.Random)
		if err != nil {
			return nil, nil, err
		}
		norm, _ := normalizeBackupCode(c)
		if seen[norm] {
			continue
		}
		seen[norm] = true
		codes = append(codes, c)
		rows = append(rows, store.BackupCode{UserID: userID, Hash: keyedHash(keys[0], "backup-code", userID, norm), CreatedAt: now})
	}
	return codes, rows, nil
}

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
	ttl := humanDuration(s.cfg.CodeTTL)
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

// notice mails a security notice when the user wants them.
func (s *Service) notice(ctx context.Context, u *store.User, title, body string) {
	if !u.Preferences.NotifySecurity {
		return
	}
	data := map[string]any{"Title": title, "Body": body}
	if err := s.cfg.Mail.SendTemplate(ctx, s.cfg.Templates, notify.TemplateSecurityNotice, u.Email, data); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "render mail failed", "template", notify.TemplateSecurityNotice, "err", err)
	}
}

func (s *Service) checkPassword(u *store.User, password string) bool {
	if u.PasswordHash == "" {
		return false
	}
	ok, err := s.cfg.Passwords.Verify(u.PasswordHash, password)
	return err == nil && ok
}

// auditFailure records a refused code: outcome failure, or denied when the
// second factor is locked.
func (s *Service) auditFailure(ctx context.Context, action, userID string, err error) {
	outcome, reason := store.OutcomeFailure, "invalid_code"
	switch {
	case errors.Is(err, store.ErrAccountLocked):
		outcome, reason = store.OutcomeDenied, "locked"
	case !errors.Is(err, store.ErrInvalidCode):
		return
	}
	s.record(ctx, audit.Entry{Action: action, TargetID: userID, Outcome: outcome,
		Metadata: map[string]string{"reason": reason}})
}

func (s *Service) auditDenied(ctx context.Context, action, userID string) {
	s.record(ctx, audit.Entry{Action: action, TargetID: userID, Outcome: store.OutcomeDenied,
		Metadata: map[string]string{"reason": "invalid_password"}})
}

func (s *Service) record(ctx context.Context, e audit.Entry) {
	if err := s.audit.RecordNow(ctx, e); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "audit failed", "action", e.Action, "err", err)
	}
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

// humanDuration writes durations the way messages say them.
func humanDuration(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	if d == time.Minute {
		return "1 minute"
	}
	return strconv.Itoa(int(d/time.Minute)) + " minutes"
}
