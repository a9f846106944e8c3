package usermgmt

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"time"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/notify"
)

// Option configures a Manager. Later options win.
type Option func(*config)

type config struct {
	logger         *slog.Logger
	now            func() time.Time
	mailer         notify.Mailer
	sms            notify.SMSSender
	baseURL        *url.URL
	bodyLimit      int64
	trustedProxies []netip.Prefix
	version        string
	hasher         auth.Hasher
	cleanupEvery   time.Duration
	// errs collects what options could not parse; New reports them.
	errs []error
}

func defaultConfig() config {
	return config{
		logger:       slog.New(slog.DiscardHandler),
		now:          time.Now,
		mailer:       notify.NewConsoleMailer(nil),
		sms:          notify.NewConsoleSMSSender(nil),
		baseURL:      &url.URL{Scheme: "http", Host: "localhost:8080"},
		bodyLimit:    httpapi.DefaultBodyLimit,
		version:      Version,
		hasher:       auth.Bcrypt{Cost: 12},
		cleanupEvery: 10 * time.Minute,
	}
}

func (c *config) validate() error {
	errs := append([]error(nil), c.errs...)
	if c.logger == nil {
		errs = append(errs, errors.New("WithLogger: nil logger"))
	}
	if c.now == nil {
		errs = append(errs, errors.New("WithClock: nil clock"))
	}
	if c.mailer == nil {
		errs = append(errs, errors.New("WithMailer: nil mailer"))
	}
	if c.sms == nil {
		errs = append(errs, errors.New("WithSMSSender: nil sender"))
	}
	if c.baseURL == nil || (c.baseURL.Scheme != "http" && c.baseURL.Scheme != "https") || c.baseURL.Host == "" {
		errs = append(errs, errors.New("WithBaseURL: want an absolute http or https URL"))
	}
	if c.hasher == nil {
		errs = append(errs, errors.New("WithHasher: nil hasher"))
	}
	if c.bodyLimit <= 0 {
		errs = append(errs, errors.New("WithBodyLimit: limit must be positive"))
	}
	if c.cleanupEvery <= 0 {
		errs = append(errs, errors.New("WithCleanupInterval: interval must be positive"))
	}
	return errors.Join(errs...)
}

// WithLogger sets the logger for access logs and internal errors. Secrets
// are never logged. Default: discard everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithClock sets the clock, for tests. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithMailer sets how emails are sent. Default: a console mailer that
// prints every message (and its links) to standard output, for development.
func WithMailer(m notify.Mailer) Option {
	return func(c *config) { c.mailer = m }
}

// WithSMSSender sets how text messages are sent. Default: a console sender
// printing to standard output, for development.
func WithSMSSender(s notify.SMSSender) Option {
	return func(c *config) { c.sms = s }
}

// WithBaseURL sets the public URL that links in emails start with, such as
// "https://app.example.com". Default: http://localhost:8080.
func WithBaseURL(raw string) Option {
	return func(c *config) {
		u, err := url.Parse(raw)
		if err != nil {
			u = nil
		}
		c.baseURL = u
	}
}

// WithBodyLimit caps JSON request bodies, in bytes. Default: 1 MiB.
func WithBodyLimit(n int64) Option {
	return func(c *config) { c.bodyLimit = n }
}

// WithTrustedProxies names the proxies (IP addresses or CIDR prefixes such
// as "10.0.0.0/8") whose X-Forwarded-For header is believed when finding
// the client's IP. Default: none, so the peer address is the client.
func WithTrustedProxies(proxies ...string) Option {
	return func(c *config) {
		c.trustedProxies = nil
		for _, p := range proxies {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				addr, aerr := netip.ParseAddr(p)
				if aerr != nil {
					c.errs = append(c.errs, fmt.Errorf("WithTrustedProxies: %q is not an IP address or CIDR prefix", p))
					continue
				}
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			}
			c.trustedProxies = append(c.trustedProxies, pfx.Masked())
		}
	}
}

// WithVersion sets the version /health/detailed reports. Default: the
// library's Version.
func WithVersion(v string) Option {
	return func(c *config) { c.version = v }
}

// WithCleanupInterval sets how often Run deletes expired sessions and
// tokens. Default: 10 minutes.
func WithCleanupInterval(d time.Duration) Option {
	return func(c *config) { c.cleanupEvery = d }
}

// WithHasher sets how passwords are hashed, such as auth.Argon2id{}.
// Hashes made by another known algorithm keep verifying and are replaced at
// the next login. Default: auth.Bcrypt{Cost: 12}.
func WithHasher(h auth.Hasher) Option {
	return func(c *config) { c.hasher = h }
}
