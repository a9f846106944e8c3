package auth

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
)

// Config holds what the Service needs. Zero durations take the defaults
// named per field.
type Config struct {
	Store     store.Store
	Audit     *audit.Log
	Tokens    *Tokens
	Passwords Passwords
	Policy    PasswordPolicy
	// Mailer sends the mails of the outbox jobs (Jobs); Templates render
	// the messages.
	Mailer    notify.Mailer
	Templates *notify.Templates
	// BaseURL starts every link in an email.
	BaseURL *url.URL
	// VerifyEmailPath and ResetPasswordPath are joined to BaseURL, followed
	// by ?token=. Defaults: "/api/v1/auth/verify-email" (the API's own GET
	// route, so the link works with no front end) and "/reset-password".
	VerifyEmailPath   string
	ResetPasswordPath string
	// Lockout locks an identifier after failed logins. Defaults: 5 failures
	// within 15 minutes lock it for 15 minutes, doubling on each repeat up
	// to an hour (MaxLock). The cap is short on purpose: whoever knows an
	// identifier can keep it locked with 5 guesses per lock, so a long cap
	// hands anyone a way to shut its owner out, while an hour already
	// limits an online guesser to about 120 guesses a day. Sessions signed
	// in before the lock keep working.
	Lockout store.LockoutPolicy
	// RequireVerifiedEmail refuses login until the email is verified.
	RequireVerifiedEmail bool
	// SecondFactor completes logins of accounts with two-factor
	// authentication on (see package twofa). When nil, such accounts cannot
	// sign in: login fails closed rather than skip their second factor.
	SecondFactor SecondFactor
	// RefreshTTL: 7 days. SessionLifetime (absolute): 30 days. IdleTimeout:
	// none when zero.
	RefreshTTL      time.Duration
	SessionLifetime time.Duration
	IdleTimeout     time.Duration
	// ReuseGrace tolerates a spent refresh token presented this soon after
	// it was spent (a client's parallel refresh) without revoking the
	// session. Default 0.
	ReuseGrace time.Duration
	// Sessions answers whether a session is live and what its user may do
	// (see package sessions). Default: a sessions.Service on Store with
	// sessions.DefaultStaleness.
	Sessions *sessions.Service
	// PrivilegedWindow is how long after a sign-in or a step-up a session
	// may make sensitive changes without the password (RequireRecentAuth).
	// Default 15 minutes.
	PrivilegedWindow time.Duration
	// PasswordHistory is how many previous passwords are refused. Default 5.
	PasswordHistory int
	VerifyTTL       time.Duration // 24 hours
	ResetTTL        time.Duration // 1 hour
	InviteTTL       time.Duration // 7 days
	Now             func() time.Time
	Random          io.Reader
	Logger          *slog.Logger
}

// defaultMaxLock caps how long repeated failed logins lock an identifier.
const defaultMaxLock = time.Hour

func (c *Config) defaults() {
	setDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	setDur(&c.RefreshTTL, 7*24*time.Hour)
	setDur(&c.SessionLifetime, 30*24*time.Hour)
	setDur(&c.VerifyTTL, 24*time.Hour)
	setDur(&c.ResetTTL, time.Hour)
	setDur(&c.InviteTTL, 7*24*time.Hour)
	setDur(&c.PrivilegedWindow, 15*time.Minute)
	if c.Lockout.Threshold == 0 {
		c.Lockout.Threshold = 5
	}
	setDur(&c.Lockout.Window, 15*time.Minute)
	setDur(&c.Lockout.LockFor, 15*time.Minute)
	setDur(&c.Lockout.MaxLock, defaultMaxLock)
	if c.PasswordHistory == 0 {
		c.PasswordHistory = 5
	}
	if c.VerifyEmailPath == "" {
		c.VerifyEmailPath = "/api/v1/auth/verify-email"
	}
	if c.ResetPasswordPath == "" {
		c.ResetPasswordPath = "/reset-password"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Random == nil {
		c.Random = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Templates == nil {
		c.Templates = notify.DefaultTemplates()
	}
	if c.Passwords.Preferred == nil {
		c.Passwords.Preferred = Bcrypt{}
	}
}

// Service implements authentication: registration, login, tokens, email
// verification, password reset and change. It is safe for concurrent use.
type Service struct {
	cfg      Config
	st       store.Store
	audit    *audit.Log
	tokens   *Tokens
	sessions *sessions.Service
	events   *events.Recorder
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	cfg.defaults()
	switch {
	case cfg.Store == nil:
		return nil, errors.New("auth: nil store")
	case cfg.Audit == nil:
		return nil, errors.New("auth: nil audit log")
	case cfg.Tokens == nil:
		return nil, errors.New("auth: nil token issuer")
	case cfg.Mailer == nil:
		return nil, errors.New("auth: nil mailer")
	case cfg.BaseURL == nil:
		return nil, errors.New("auth: nil base URL")
	case cfg.PrivilegedWindow < 0:
		return nil, errors.New("auth: negative privileged window")
	}
	if cfg.Sessions == nil {
		var err error
		cfg.Sessions, err = sessions.New(sessions.Config{Store: cfg.Store, Audit: cfg.Audit, Now: cfg.Now,
			Staleness: sessions.DefaultStaleness, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
	}
	return &Service{
		cfg: cfg, st: cfg.Store, audit: cfg.Audit, tokens: cfg.Tokens,
		sessions: cfg.Sessions, events: events.NewRecorder(cfg.Now),
	}, nil
}

// Tokens returns the access-token issuer.
func (s *Service) Tokens() *Tokens { return s.tokens }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// link builds an email link with the token in the query.
func (s *Service) link(path, token string) string {
	u := *s.cfg.BaseURL
	u.Path = joinPath(u.Path, path)
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

func joinPath(base, p string) string {
	if base == "" || base == "/" {
		return p
	}
	if base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + p
}
