package usermgmt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/ratelimit"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/twofa"
	"github.com/usermgmt/usermgmt/users"
)

// sessionConfig groups the session and refresh-token durations.
type sessionConfig struct {
	refreshTTL, lifetime, idle, reuseGrace, staleness time.Duration
}

// Option configures a Manager. Later options win.
type Option func(*config)

// tokenConfig is auth.TokenConfig plus whether WithAccessTokenTTL was
// given, so that a zero TTL is refused rather than taken for the default.
type tokenConfig struct {
	auth.TokenConfig
	ttlSet bool
}

type config struct {
	logger    *slog.Logger
	loggerSet bool // WithLogger was given
	mailerSet bool // WithMailer was given
	smsSet    bool // WithSMSSender was given
	// inTest reports whether the process is a test binary, where the
	// console-mailer warning is noise; a seam for the test of that warning.
	inTest          func() bool
	now             func() time.Time
	mailer          notify.Mailer
	sms             notify.SMSSender
	baseURL         *url.URL
	bodyLimit       int64
	trustedProxies  []netip.Prefix
	version         string
	hasher          auth.Hasher
	policy          auth.PasswordPolicy
	tokens          tokenConfig
	session         sessionConfig
	lockout         store.LockoutPolicy
	requireVerified bool
	privileged      time.Duration
	templates       *notify.Templates
	verifyPath      string
	resetPath       string
	limits          httpapi.Limits
	limiter         ratelimit.Limiter
	sharedLimiter   ratelimit.Limiter
	cleanupEvery    time.Duration
	encKeys         [][]byte // WithEncryptionKey: the key, then previous ones
	totpIssuer      string
	corsOrigins     []string
	mountPath       string
	recovery        time.Duration // WithAccountRecoveryWindow
	// eraser erases accounts for permanent deletion; nil means the
	// Manager's GDPR erasure (tests set one through export_test.go).
	eraser users.Eraser
	// errs collects what options could not parse; New reports them.
	errs []error
	// outbox is what the outbox options set (outbox_wiring.go).
	outbox outboxConfig
	// auditRetentionDays is WithAuditRetention's; 0 keeps every entry.
	auditRetentionDays int
	// stream is WithNotificationStream's; zero takes httpapi's defaults.
	stream httpapi.StreamTiming
	// impersonationTTL is WithImpersonationTTL; 0 is the admin default.
	impersonationTTL time.Duration
	// importLimit is WithImportLimit; 0 is httpapi.DefaultImportLimit.
	importLimit int64
	// adminStatsTTL is WithAdminStatsTTL; 0 is admin.DefaultStatsTTL.
	adminStatsTTL time.Duration
	// WithAvatarStorage
	avatarBucket  *blob.Bucket
	avatarOptions AvatarOptions
	avatarSet     bool
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
		limits:       httpapi.DefaultLimits(),
		cleanupEvery: 10 * time.Minute,
		mountPath:    httpapi.DefaultMountPath,
		privileged:   15 * time.Minute,
		recovery:     users.DefaultRecoveryWindow,
		session: sessionConfig{
			refreshTTL: 7 * 24 * time.Hour,
			lifetime:   30 * 24 * time.Hour,
			staleness:  sessions.DefaultStaleness,
		},
		inTest: testing.Testing,
	}
}

// startLogger is where New's warnings go: the host's logger, or
// slog.Default() when none was given, so that a misconfiguration is seen
// even by a host that keeps the access log silent.
func (c *config) startLogger() *slog.Logger {
	if c.loggerSet && c.logger != nil {
		return c.logger
	}
	return slog.Default()
}

// consoleDefaults points the default console mailer and SMS sender at the
// start-up logger, so mail shows up on the same stream as the logs.
func (c *config) consoleDefaults() {
	if !c.mailerSet {
		c.mailer = &notify.ConsoleMailer{Logger: c.startLogger()}
	}
	if !c.smsSet {
		c.sms = &notify.ConsoleSMSSender{Logger: c.startLogger()}
	}
}

// warn logs what New accepts but a production host should fix.
func (c *config) warn() {
	log := c.startLogger()
	if _, ok := c.mailer.(*notify.ConsoleMailer); ok && !c.inTest() {
		log.Warn("console mailer in use: emails are logged with their links and codes instead of being sent; " +
			"set usermgmt.WithMailer (for example notify.NewSMTPMailer) in production")
	}
	if !c.avatarSet && !c.inTest() {
		log.Warn("avatars are kept in memory and lost when the process ends; " +
			"set usermgmt.WithAvatarStorage (for example a fileblob directory or an S3 bucket) in production")
	}
}

// WithLogger sets the logger for access logs, internal errors, warnings at
// start and the console mailer's records. Secrets are never logged.
// Default: access logs and internal errors are discarded; warnings at
// start and console mail go to slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger, c.loggerSet = l, true }
}

// WithPrivilegedWindow sets how long after a sign-in (not a refresh) or a
// step-up with a second factor a session may make sensitive changes, such
// as enrolling a second factor, without giving the current password again.
// Later, those answer 403 REAUTHENTICATION_REQUIRED unless the request
// carries the password. Default: 15 minutes.
func WithPrivilegedWindow(d time.Duration) Option {
	return func(c *config) { c.privileged = d }
}

// WithAccountRecoveryWindow sets how long a soft-deleted account (DELETE
// /account) can be recovered with POST /account/recover before its purge
// is due; a login to it answers 403 ACCOUNT_DELETED with that time as
// purgeAfter. It must be positive. Default: 30 days.
func WithAccountRecoveryWindow(d time.Duration) Option {
	return func(c *config) { c.recovery = d }
}

// WithClock sets the clock, for tests. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithMailer sets how emails are sent. Default: a console mailer
// (notify.ConsoleMailer) that logs every message, links included, as one
// record on the WithLogger logger (slog.Default() without one), for
// development; New warns when it is in use outside tests.
func WithMailer(m notify.Mailer) Option {
	return func(c *config) { c.mailer, c.mailerSet = m, true }
}

// WithSMSSender sets how text messages are sent. Default: a console sender
// (notify.ConsoleSMSSender) logging each message like the console mailer,
// for development.
func WithSMSSender(s notify.SMSSender) Option {
	return func(c *config) { c.sms, c.smsSet = s, true }
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

// WithPasswordPolicy sets the password rules. Default: at least 8
// characters, at most 256, not among the 10,000 most common passwords, not
// containing the email or username; no composition rules (NIST SP 800-63B).
func WithPasswordPolicy(p auth.PasswordPolicy) Option {
	return func(c *config) { c.policy = p }
}

// WithAccessTokenTTL sets how long access tokens live. Default: 15 minutes.
func WithAccessTokenTTL(d time.Duration) Option {
	return func(c *config) { c.tokens.TTL, c.tokens.ttlSet = d, true }
}

// WithSigningKeys makes these keys (ed25519.PrivateKey or a P-256
// *ecdsa.PrivateKey) sign access tokens; the first signs, all verify and
// are published in the JWKS. Default: an EdDSA key generated once and kept
// in the store, shared by every instance; it is sealed there under the
// WithEncryptionKey key when one is set, and otherwise kept in clear, so
// that a database dump yields it (New then logs a warning).
func WithSigningKeys(keys ...crypto.Signer) Option {
	return func(c *config) {
		c.tokens.Keys = keys
		if len(keys) > 0 {
			if _, ok := keys[0].(*ecdsa.PrivateKey); ok {
				c.tokens.Algorithm = "ES256"
			} else {
				c.tokens.Algorithm = "EdDSA"
			}
		}
	}
}

// WithSigningAlgorithm chooses the algorithm of store-held keys: "EdDSA"
// (default) or "ES256".
func WithSigningAlgorithm(alg string) Option {
	return func(c *config) { c.tokens.Algorithm = alg }
}

// WithHS256Secret signs access tokens with HMAC-SHA256 and a shared secret
// of at least 32 bytes instead of an asymmetric key; the JWKS is then empty.
// Default: asymmetric keys.
func WithHS256Secret(secret []byte) Option {
	return func(c *config) {
		c.tokens.Algorithm = "HS256"
		c.tokens.Secret = secret
	}
}

// WithTokenIssuer sets the iss and aud claims of access tokens. Default:
// the base URL for both.
func WithTokenIssuer(issuer, audience string) Option {
	return func(c *config) { c.tokens.Issuer, c.tokens.Audience = issuer, audience }
}

// WithRefreshTokenTTL sets how long a refresh token lives. Default: 7 days.
func WithRefreshTokenTTL(d time.Duration) Option {
	return func(c *config) { c.session.refreshTTL = d }
}

// WithSessionLifetime sets the absolute lifetime of a session, after which
// the user signs in again. Default: 30 days.
func WithSessionLifetime(d time.Duration) Option {
	return func(c *config) { c.session.lifetime = d }
}

// WithIdleTimeout ends a session unused for this long. Default: none.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.session.idle = d }
}

// WithRefreshReuseGrace tolerates a refresh token presented again this
// soon after it was spent (a client refreshing twice at once) without
// revoking the session. Default: 0, every reuse revokes.
func WithRefreshReuseGrace(d time.Duration) Option {
	return func(c *config) { c.session.reuseGrace = d }
}

// WithSessionStaleness bounds how long a revoked session, a disabled user
// or a removed role may still be honoured by another instance's cache (the
// instance that made the change refuses at once). Default: 5 seconds; 0
// checks the store on every request.
func WithSessionStaleness(d time.Duration) Option {
	return func(c *config) { c.session.staleness = d }
}

// WithLockout sets when failed logins lock an identifier, whether or not
// an account has it. Default: 5 failures within 15 minutes lock it for 15
// minutes, doubling on each repeat up to an hour; zero fields take these
// defaults.
//
// A longer MaxLock slows an online guesser further but lets anyone who
// knows an address keep its owner from signing in for that long with 5
// wrong guesses per lock; with the one-hour cap a guesser gets about 120
// tries a day. Sessions signed in before the lock keep working while it
// lasts.
func WithLockout(p store.LockoutPolicy) Option {
	return func(c *config) { c.lockout = p }
}

// WithRequireVerifiedEmail refuses login (403 EMAIL_NOT_VERIFIED) until the
// email address is verified. Default: off.
func WithRequireVerifiedEmail(on bool) Option {
	return func(c *config) { c.requireVerified = on }
}

// WithEmailTemplates replaces the built-in email templates (see
// notify.ParseTemplates). Default: notify.DefaultTemplates().
func WithEmailTemplates(t *notify.Templates) Option {
	return func(c *config) { c.templates = t }
}

// WithEmailLinks sets the paths, below the base URL, of the links that
// verification and reset emails carry (each followed by ?token=).
// Default: the mount path (see WithMountPath) + "/auth/verify-email",
// the API's own route, and "/reset-password", a page of the host's front
// end. An empty path keeps its default.
func WithEmailLinks(verifyPath, resetPath string) Option {
	return func(c *config) { c.verifyPath, c.resetPath = verifyPath, resetPath }
}

// WithCORS lets browser pages on these origins call the API with
// credentials: each origin is exactly scheme://host[:port], such as
// "https://app.example.com" (no path, no wildcard). Preflights are
// answered without a bearer token; requests from other origins get no CORS
// headers. Later calls replace earlier ones. Default: none, no
// cross-origin access.
func WithCORS(origins ...string) Option {
	return func(c *config) { c.corsOrigins = append([]string(nil), origins...) }
}

// validOrigin reports whether o is an http or https origin written
// exactly as browsers send it in the Origin header.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme+"://"+u.Host == o && u.Hostname() != ""
}

// WithMountPath tells the Manager where the host mounts Handler(), such
// as "/api/v1" or "/auth"; "" is the site root. It must start with / and
// not end with one. It is the servers URL of the served OpenAPI document
// and the start of the default verification link path (mount path +
// /auth/verify-email). The handler works whether or not the host strips
// the prefix (http.StripPrefix, or chi's Mount which does not strip).
// Default: "/api/v1".
func WithMountPath(p string) Option {
	return func(c *config) { c.mountPath = p }
}

// WithRateLimit sets the per-client limit on every route but the probes,
// in requests per minute; 0 turns it off. Default: 100.
func WithRateLimit(perMinute int) Option {
	return func(c *config) { c.limits.PerClient = ratelimit.Limit{Requests: perMinute, Window: time.Minute} }
}

// WithRateLimits sets every limit at once (see httpapi.Limits). Default:
// httpapi.DefaultLimits().
func WithRateLimits(l httpapi.Limits) Option {
	return func(c *config) { c.limits = l }
}

// WithRateLimiter sets where limits are counted: perClient for the
// API-wide limit and shared for the tight limits on sign-in and mail
// routes. Default: perClient in memory (each instance counts alone),
// shared in the store (every instance counts together). Pass a Redis or
// gateway implementation to share both.
func WithRateLimiter(perClient, shared ratelimit.Limiter) Option {
	return func(c *config) { c.limiter, c.sharedLimiter = perClient, shared }
}

// WithEncryptionKey sets the 32-byte AES-256 key that encrypts TOTP
// secrets at rest and keys the hashes of backup codes and emailed or texted
// codes, so that a dump of the database alone yields none of them. Keys
// passed as previous still decrypt and match what they protected, so a key
// can be rotated: pass the new key first and the old one after it until
// every enrolment was used (TOTP secrets are re-encrypted on use) or
// renewed.
//
// Default: a key derived with HKDF-SHA256 (twofa.DeriveKey) from the
// host's secret material: the WithHS256Secret secret, or the
// WithSigningKeys keys (the first's key encrypts; the others' still
// decrypt, so a signing key rotated by listing the old key after the new
// one keeps enrolments readable). Replacing an HS256 secret loses its
// derived key: pass WithEncryptionKey(new, twofa.DeriveKey(oldSecret))
// then. Without either, a random key is made once and kept in the store: a
// database dump then yields the TOTP secrets too, and New logs a warning.
// A key kept in the store by an earlier configuration still decrypts.
//
// The same keys seal the token-signing keys kept in the store (when
// neither WithSigningKeys nor WithHS256Secret is given), with AES-256-GCM
// and the key id as additional data: a dump alone then cannot mint
// tokens. Keys stored in clear before are sealed when next loaded, and
// previous keys still open; every instance needs the same keys.
// Production hosts should set a key (or signing keys).
func WithEncryptionKey(key []byte, previous ...[]byte) Option {
	return func(c *config) { c.encKeys = append([][]byte{key}, previous...) }
}

// WithTOTPIssuer sets the name authenticator apps show beside a user's
// TOTP codes. Default: the base URL's host name.
func WithTOTPIssuer(name string) Option {
	return func(c *config) { c.totpIssuer = name }
}

// issuer is the TOTP issuer: WithTOTPIssuer's, else the base URL's host.
func (c *config) issuer() string {
	if c.totpIssuer != "" {
		return c.totpIssuer
	}
	return c.baseURL.Hostname()
}

// encryptionKeys resolves the key that encrypts 2FA secrets and the older
// ones that still decrypt (see WithEncryptionKey). A nil key leaves it to
// the store.
func (c *config) encryptionKeys() (key []byte, previous [][]byte) {
	if len(c.encKeys) > 0 {
		return c.encKeys[0], c.encKeys[1:]
	}
	if len(c.tokens.Secret) > 0 {
		return twofa.DeriveKey(c.tokens.Secret), nil
	}
	var keys [][]byte
	for i, k := range c.tokens.Keys {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			if i == 0 {
				// A key that cannot be exported (an HSM, say): nothing
				// to derive from.
				c.startLogger().Warn("signing key cannot be exported to derive the 2FA encryption key; set WithEncryptionKey")
				return nil, nil
			}
			continue
		}
		keys = append(keys, twofa.DeriveKey(der))
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return keys[0], keys[1:]
}

// WithEventHandler adds h to the handlers of the domain events
// (events.UserCreated, events.LoginSucceeded, ...). Events are written in
// the transaction of the change and delivered by Run after commit, at
// least once and in order per user (see events.Handler); several handlers
// may be given, each gets every event, in the order given, and an event
// one of them fails is delivered again to all. Default: none (events are
// still written, and deleted once "delivered" to nobody).
func WithEventHandler(h events.Handler) Option {
	return func(c *config) { c.outbox.handlers = append(c.outbox.handlers, h) }
}

// WithOutboxRetry sets how the outbox retries a failed delivery (an
// event's handler or a mail): up to maxAttempts deliveries, the n-th retry
// after baseDelay·2^(n-1) capped at maxDelay, with jitter; then the entry
// is dead-lettered (logged, listed by Manager.Outbox().DeadLetters).
// Zero values keep the defaults: 12 attempts, 1 second, 1 hour.
func WithOutboxRetry(maxAttempts int, baseDelay, maxDelay time.Duration) Option {
	return func(c *config) {
		c.outbox.maxAttempts, c.outbox.baseDelay, c.outbox.maxDelay = maxAttempts, baseDelay, maxDelay
	}
}

// WithWebhook delivers every domain event to url as a signed HTTP POST in
// the Standard Webhooks format (see events.Webhook; receivers check it
// with events.Verify), through the outbox: a receiver that is down or
// answers other than 2xx gets the event again with backoff, with the same
// webhook-id. secret is "whsec_" and a base64 key of at least 24 bytes.
// Several webhooks may be given. Default: none.
func WithWebhook(url, secret string) Option {
	return func(c *config) {
		wh, err := events.NewWebhook(url, secret, events.WebhookOptions{})
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("WithWebhook: %w", err))
			return
		}
		c.outbox.handlers = append(c.outbox.handlers, wh)
	}
}

// WithAuditRetention makes Run delete audit entries older than days days,
// in batches, on every instance that runs it (they share the work). A
// negative number of days is an error from New. Default: 0, keep every
// entry.
func WithAuditRetention(days int) Option {
	return func(c *config) {
		if days < 0 {
			c.errs = append(c.errs, fmt.Errorf("WithAuditRetention: %d days is negative", days))
			return
		}
		c.auditRetentionDays = days
	}
}

// WithNotificationStream sets how often GET /notifications/stream sends a
// heartbeat comment and how often it looks for notifications written by
// other instances and checks the caller's token (the stream ends within
// that interval of the token expiring or the session being revoked
// elsewhere; a revocation in this process ends it at once). Keep poll at
// most the session staleness. Non-positive durations are an error from
// New. Default: 15 s and 2 s.
func WithNotificationStream(heartbeat, poll time.Duration) Option {
	return func(c *config) {
		if heartbeat <= 0 || poll <= 0 {
			c.errs = append(c.errs, fmt.Errorf("WithNotificationStream: durations must be positive"))
			return
		}
		c.stream = httpapi.StreamTiming{Heartbeat: heartbeat, Poll: poll}
	}
}

// WithImpersonationTTL sets how long an impersonation token
// (POST /admin/users/{id}/impersonate) lives, from 1 second to 15 minutes.
// Default: 10 minutes. It never outlives the access-token lifetime.
func WithImpersonationTTL(d time.Duration) Option {
	return func(c *config) { c.impersonationTTL = d }
}

// WithImportLimit caps the upload of POST /admin/users/import, in bytes;
// a larger body is refused with 413 PAYLOAD_TOO_LARGE. Default: 64 MiB.
func WithImportLimit(n int64) Option {
	return func(c *config) { c.importLimit = n }
}

// WithAdminStatsTTL sets how long the admin dashboard and the user counts
// of GET /admin/users/stats are served from memory before they are
// counted again. Default: 10 seconds.
func WithAdminStatsTTL(d time.Duration) Option {
	return func(c *config) { c.adminStatsTTL = d }
}

// AvatarOptions are the avatar settings besides the bucket. The zero value
// serves the files from the API's own GET /avatars route and makes
// avatars.DefaultSizes (512 and 128 px squares).
type AvatarOptions struct {
	// PublicURL is where the bucket's objects are served from when the host
	// serves them itself (a CDN or the bucket's public endpoint); an
	// avatar's URL is then PublicURL + "/" + its object name. Default: the
	// API's GET /avatars/{file} below the mount path, at WithBaseURL.
	PublicURL string
	// Sizes are the square renditions made, largest first; avatarUrl names
	// the first. Default: avatars.DefaultSizes.
	Sizes []int
}

// WithAvatarStorage keeps avatar files in bucket: a local directory
// (gocloud.dev/blob/fileblob), S3, GCS, Azure or any other gocloud bucket.
// The Manager does not close it. Default: a bucket in memory, lost when
// the process ends (a warning says so at start); the example server uses
// a local directory.
func WithAvatarStorage(bucket *blob.Bucket, o AvatarOptions) Option {
	return func(c *config) { c.avatarBucket, c.avatarOptions, c.avatarSet = bucket, o, true }
}
