package twofa

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// Config holds what the Service needs. Zero values take the defaults named
// per field.
type Config struct {
	Store store.Store
	Audit *audit.Log
	// Mail sends code mails and texts in the background; security
	// notices go through the outbox (notify.Enqueue).
	Mail *notify.Async
	// SMS sends codes by text message; when nil the sms method is refused.
	SMS notify.SMSSender
	// Templates render the mails. Default: notify.DefaultTemplates().
	Templates *notify.Templates
	// Passwords checks the password that disabling 2FA and regenerating
	// backup codes ask for.
	Passwords auth.Passwords
	// RecentAuth guards enrolling or replacing a second factor (Setup and
	// Enable): with a stolen access token alone, an attacker could
	// otherwise enrol their own TOTP and lock the owner out. usermgmt.New
	// passes its auth.Service. Required: New fails without it.
	RecentAuth Reauthenticator
	// Issuer names the service in authenticator apps. Default: "usermgmt".
	Issuer string
	// Key is the 32-byte AES-256 key that seals TOTP secrets and keys the
	// hashes of backup and sent codes. PreviousKeys still open and match
	// what older keys sealed and hashed, so a key can be rotated; a TOTP
	// secret is resealed with Key when next used.
	//
	// When Key is nil, a random key is made once and kept in the store,
	// shared by every instance. Then a dump of the database alone yields
	// the TOTP secrets: hosts should provide a key (usermgmt.New warns
	// when none is).
	Key          []byte
	PreviousKeys [][]byte
	// Lockout decides when wrong codes lock the account's second factor
	// (one counter, which login checks too). Default: 5 wrong codes within
	// 15 minutes lock it for 15 minutes, doubling on each repeat up to an
	// hour.
	Lockout store.LockoutPolicy
	// CodeTTL is how long a code sent by email or SMS lives. Default: 10
	// minutes.
	CodeTTL time.Duration
	Now     func() time.Time
	Random  io.Reader
	Logger  *slog.Logger
}

// Reauthenticator decides whether the actor in ctx authenticated recently
// enough for a sensitive change, or gave their current password.
// (*auth.Service).RequireRecentAuth is the implementation: it answers
// store.ErrReauthenticationRequired, store.ErrInvalidPassword or
// store.ErrAccountLocked, audits its refusals itself, and lets
// store.SystemActor through.
type Reauthenticator interface {
	RequireRecentAuth(ctx context.Context, password string) error
}

// ReauthenticatorFunc adapts a function to a Reauthenticator, such as a
// method value of a service built after this one.
type ReauthenticatorFunc func(ctx context.Context, password string) error

// RequireRecentAuth implements Reauthenticator.
func (f ReauthenticatorFunc) RequireRecentAuth(ctx context.Context, password string) error {
	return f(ctx, password)
}

var _ Reauthenticator = (*auth.Service)(nil)

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
	setDur(&c.Lockout.MaxLock, time.Hour) // as the login lock-out: repeated locks cap at an hour
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

// configuredKeys checks the configuration and returns the keys it names,
// the current one first.
func (c *Config) configuredKeys() ([][]byte, error) {
	switch {
	case c.Store == nil:
		return nil, errors.New("twofa: nil store")
	case c.Audit == nil:
		return nil, errors.New("twofa: nil audit log")
	case c.Mail == nil:
		return nil, errors.New("twofa: nil mail sender")
	case c.RecentAuth == nil:
		return nil, errors.New("twofa: nil RecentAuth")
	case c.Key == nil && len(c.PreviousKeys) > 0:
		return nil, errors.New("twofa: PreviousKeys without Key")
	}
	var configured [][]byte
	if c.Key != nil {
		configured = append(configured, c.Key)
		configured = append(configured, c.PreviousKeys...)
	}
	for _, k := range configured {
		if len(k) != KeySize {
			return nil, fmt.Errorf("twofa: encryption key must be %d bytes, got %d", KeySize, len(k))
		}
	}
	return configured, nil
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
	// events records the 2FA changes in their transactions.
	events *events.Recorder
}

var _ auth.SecondFactor = (*Service)(nil)

// New returns a Service. It fails when a dependency is missing or a key is
// not 32 bytes long.
func New(cfg Config) (*Service, error) {
	cfg.defaults()
	configured, err := cfg.configuredKeys()
	if err != nil {
		return nil, err
	}
	return &Service{
		cfg: cfg, st: cfg.Store, audit: cfg.Audit,
		keys:   &keyring{st: cfg.Store, random: cfg.Random, now: cfg.Now, configured: configured},
		events: events.NewRecorder(cfg.Now),
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
