package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
)

// config is what the environment asks of the server. Zero fields mean the
// library's defaults.
type config struct {
	addr           string
	databaseURL    string
	baseURL        string
	smtpURL        string
	adminEmail     string
	adminPassword  string
	signingKeyFile string
	avatarDir      string // "" keeps avatars in memory
	logLevel       slog.Level

	rateLimit       int // per minute per client; 0 turns off every limit
	rateLimitSet    bool
	corsOrigins     []string
	cors            usermgmt.Option // from corsOrigins
	encryptionKey   []byte
	accessTTL       time.Duration
	refreshTTL      time.Duration
	reuseGrace      time.Duration
	reuseGraceSet   bool
	requireVerified bool
	trustedProxies  []string
}

// loadConfig reads the environment through getenv (os.Getenv in main). A
// bad value fails with an error naming its variable; every bad value is
// reported at once.
func loadConfig(getenv func(string) string) (config, error) {
	env := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := config{
		addr:           env("USERMGMT_ADDR", ":8080"),
		databaseURL:    env("DATABASE_URL", "sqlite://usermgmt.db"),
		baseURL:        env("USERMGMT_BASE_URL", "http://localhost:8080"),
		smtpURL:        env("USERMGMT_SMTP_URL", ""),
		adminEmail:     env("USERMGMT_ADMIN_EMAIL", ""),
		adminPassword:  getenv("USERMGMT_ADMIN_PASSWORD"), // spaces may be part of it
		signingKeyFile: env("USERMGMT_SIGNING_KEY_FILE", ""),
	}
	c.avatarDir = env("USERMGMT_AVATAR_DIR", defaultAvatarDir(c.databaseURL))
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	duration := func(key string, dst *time.Duration, allowZero bool) bool {
		raw := env(key, "")
		if raw == "" {
			return false
		}
		d, err := time.ParseDuration(raw)
		switch {
		case err != nil:
			bad(key, "want a Go duration such as 15m or 168h, got %q", raw)
		case d < 0 || (d == 0 && !allowZero):
			bad(key, "want a positive duration, got %q", raw)
		default:
			*dst = d
			return true
		}
		return false
	}

	if (c.adminEmail == "") != (c.adminPassword == "") {
		errs = append(errs, errors.New("USERMGMT_ADMIN_EMAIL, USERMGMT_ADMIN_PASSWORD: set both or neither"))
	}
	if raw := env("USERMGMT_LOG_LEVEL", ""); raw != "" {
		if err := c.logLevel.UnmarshalText([]byte(raw)); err != nil {
			bad("USERMGMT_LOG_LEVEL", "want debug, info, warn or error, got %q", raw)
		}
	}
	if raw := env("USERMGMT_RATE_LIMIT", ""); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			bad("USERMGMT_RATE_LIMIT", "want a number of requests per minute, 0 for no limits, got %q", raw)
		} else {
			c.rateLimit, c.rateLimitSet = n, true
		}
	}
	for _, o := range splitList(env("USERMGMT_CORS_ORIGINS", "")) {
		if !(strings.HasPrefix(o, "https://") || strings.HasPrefix(o, "http://")) {
			bad("USERMGMT_CORS_ORIGINS", "want origins such as https://app.example.com, got %q", o)
			continue
		}
		c.corsOrigins = append(c.corsOrigins, strings.TrimSuffix(o, "/"))
	}
	if len(c.corsOrigins) > 0 {
		c.cors = usermgmt.WithCORS(c.corsOrigins...)
	}
	if raw := env("USERMGMT_ENCRYPTION_KEY", ""); raw != "" {
		key, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(raw, "="))
		}
		switch {
		case err != nil:
			bad("USERMGMT_ENCRYPTION_KEY", "want base64 (openssl rand -base64 32)")
		case len(key) != 32:
			bad("USERMGMT_ENCRYPTION_KEY", "want 32 bytes, got %d (openssl rand -base64 32)", len(key))
		default:
			c.encryptionKey = key
		}
	}
	duration("USERMGMT_ACCESS_TOKEN_TTL", &c.accessTTL, false)
	duration("USERMGMT_REFRESH_TOKEN_TTL", &c.refreshTTL, false)
	c.reuseGraceSet = duration("USERMGMT_REFRESH_REUSE_GRACE", &c.reuseGrace, true)
	if raw := env("USERMGMT_REQUIRE_VERIFIED_EMAIL", ""); raw != "" {
		on, err := strconv.ParseBool(raw)
		if err != nil {
			bad("USERMGMT_REQUIRE_VERIFIED_EMAIL", "want true or false, got %q", raw)
		}
		c.requireVerified = on
	}
	for _, p := range splitList(env("USERMGMT_TRUSTED_PROXIES", "")) {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				bad("USERMGMT_TRUSTED_PROXIES", "want IP addresses or CIDR prefixes such as 10.0.0.0/8, got %q", p)
				continue
			}
		}
		c.trustedProxies = append(c.trustedProxies, p)
	}
	return c, errors.Join(errs...)
}

// splitList splits a comma-separated variable, dropping empty items.
func splitList(raw string) []string {
	var out []string
	for _, s := range strings.Split(raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// options turns the configuration into Manager options (the mailer and
// signing key, which need I/O, are added by the caller).
func (c config) options() []usermgmt.Option {
	opts := []usermgmt.Option{usermgmt.WithBaseURL(c.baseURL)}
	if c.rateLimitSet {
		if c.rateLimit == 0 {
			// Every limit off, the tight per-route ones too: for tests and
			// load tests only.
			opts = append(opts, usermgmt.WithRateLimits(httpapi.Limits{}))
		} else {
			opts = append(opts, usermgmt.WithRateLimit(c.rateLimit)) // the tight limits stay
		}
	}
	if c.cors != nil {
		opts = append(opts, c.cors)
	}
	if c.encryptionKey != nil {
		opts = append(opts, usermgmt.WithEncryptionKey(c.encryptionKey))
	}
	if c.accessTTL > 0 {
		opts = append(opts, usermgmt.WithAccessTokenTTL(c.accessTTL))
	}
	if c.refreshTTL > 0 {
		opts = append(opts, usermgmt.WithRefreshTokenTTL(c.refreshTTL))
	}
	if c.reuseGraceSet {
		opts = append(opts, usermgmt.WithRefreshReuseGrace(c.reuseGrace))
	}
	if c.requireVerified {
		opts = append(opts, usermgmt.WithRequireVerifiedEmail(true))
	}
	if len(c.trustedProxies) > 0 {
		opts = append(opts, usermgmt.WithTrustedProxies(c.trustedProxies...))
	}
	return opts
}
