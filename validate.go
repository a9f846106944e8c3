package usermgmt

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/avatars"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/ratelimit"
	"github.com/usermgmt/usermgmt/twofa"
)

// validate reports every option whose value makes no sense, each error
// naming its option, so that New fails at once instead of misbehaving
// later.
func (c *config) validate() error {
	errs := append([]error(nil), c.errs...)
	bad := func(option, format string, args ...any) {
		errs = append(errs, fmt.Errorf(option+": "+format, args...))
	}
	if c.logger == nil {
		bad("WithLogger", "nil logger")
	}
	if c.now == nil {
		bad("WithClock", "nil clock")
	}
	if c.mailer == nil {
		bad("WithMailer", "nil mailer")
	}
	if c.sms == nil {
		bad("WithSMSSender", "nil sender")
	}
	if c.baseURL == nil || (c.baseURL.Scheme != "http" && c.baseURL.Scheme != "https") || c.baseURL.Host == "" {
		bad("WithBaseURL", "want an absolute http or https URL")
	}
	if c.hasher == nil {
		bad("WithHasher", "nil hasher")
	}
	if c.bodyLimit <= 0 {
		bad("WithBodyLimit", "limit must be positive, got %d", c.bodyLimit)
	}
	if c.privileged <= 0 {
		bad("WithPrivilegedWindow", "window must be positive, got %s", c.privileged)
	}
	if c.recovery <= 0 {
		bad("WithAccountRecoveryWindow", "window must be positive, got %s", c.recovery)
	}
	if c.cleanupEvery <= 0 {
		bad("WithCleanupInterval", "interval must be positive, got %s", c.cleanupEvery)
	}
	for _, o := range c.corsOrigins {
		if !validOrigin(o) {
			bad("WithCORS", "%q is not an origin (scheme://host[:port])", o)
		}
	}
	if p := c.mountPath; p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "?#") || path.Clean(p) != p) {
		bad("WithMountPath", "%q must start with / and not end with one (\"\" for the root)", p)
	}
	for _, k := range c.encKeys {
		if len(k) != twofa.KeySize {
			bad("WithEncryptionKey", "keys must be %d bytes", twofa.KeySize)
			break
		}
	}
	if d := c.impersonationTTL; d < 0 || d > admin.MaxImpersonationTTL || (d > 0 && d < time.Second) {
		bad("WithImpersonationTTL", "must be from 1s to %s, got %s", admin.MaxImpersonationTTL, d)
	}
	errs = append(errs, c.validateDurations()...)
	errs = append(errs, validateLimits(c.limits)...)
	errs = append(errs, c.validateAvatars()...)
	return errors.Join(errs...)
}

// validateAvatars checks WithAvatarStorage.
func (c *config) validateAvatars() []error {
	if !c.avatarSet {
		return nil
	}
	var errs []error
	if c.avatarBucket == nil {
		errs = append(errs, errors.New("WithAvatarStorage: nil bucket"))
	}
	if p := c.avatarOptions.PublicURL; p != "" {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("WithAvatarStorage: PublicURL %q must be an absolute http or https URL without query", p))
		}
	}
	if s := c.avatarOptions.Sizes; s != nil {
		if err := avatars.ValidSizes(s); err != nil {
			errs = append(errs, fmt.Errorf("WithAvatarStorage: %w", err))
		}
	}
	return errs
}

// validateDurations checks the token, session and lock-out durations.
func (c *config) validateDurations() []error {
	var errs []error
	positive := func(option string, d time.Duration) {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, got %s", option, d))
		}
	}
	notNegative := func(option string, d time.Duration) {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %s", option, d))
		}
	}
	if c.tokens.ttlSet {
		positive("WithAccessTokenTTL", c.tokens.TTL)
	}
	positive("WithRefreshTokenTTL", c.session.refreshTTL)
	positive("WithSessionLifetime", c.session.lifetime)
	notNegative("WithIdleTimeout", c.session.idle)
	notNegative("WithRefreshReuseGrace", c.session.reuseGrace)
	notNegative("WithSessionStaleness", c.session.staleness)
	if c.session.reuseGrace >= c.session.refreshTTL && c.session.refreshTTL > 0 {
		errs = append(errs, fmt.Errorf("WithRefreshReuseGrace: %s must be shorter than the refresh-token TTL %s",
			c.session.reuseGrace, c.session.refreshTTL))
	}
	l := c.lockout
	if l.Threshold < 0 {
		errs = append(errs, fmt.Errorf("WithLockout: Threshold must not be negative, got %d", l.Threshold))
	}
	notNegative("WithLockout: Window", l.Window)
	notNegative("WithLockout: LockFor", l.LockFor)
	notNegative("WithLockout: MaxLock", l.MaxLock)
	if l.MaxLock > 0 && l.LockFor > l.MaxLock {
		errs = append(errs, fmt.Errorf("WithLockout: LockFor %s exceeds MaxLock %s", l.LockFor, l.MaxLock))
	}
	return errs
}

// validateLimits refuses negative limits and a count without a window.
func validateLimits(l httpapi.Limits) []error {
	var errs []error
	check := func(option string, lim ratelimit.Limit) {
		switch {
		case lim.Requests < 0:
			errs = append(errs, fmt.Errorf("%s: requests must not be negative, got %d", option, lim.Requests))
		case lim.Window < 0 || (lim.Requests > 0 && lim.Window == 0):
			errs = append(errs, fmt.Errorf("%s: a limit of %d requests needs a positive window, got %s", option, lim.Requests, lim.Window))
		}
	}
	check("WithRateLimit", l.PerClient)
	check("WithRateLimits: LoginPerIdentifier", l.LoginPerIdentifier)
	check("WithRateLimits: LoginPerIP", l.LoginPerIP)
	check("WithRateLimits: RegisterPerIP", l.RegisterPerIP)
	check("WithRateLimits: MailPerAddress", l.MailPerAddress)
	check("WithRateLimits: MailPerIP", l.MailPerIP)
	check("WithRateLimits: CheckPerIP", l.CheckPerIP)
	check("WithRateLimits: MFAPerChallenge", l.MFAPerChallenge)
	return errs
}
