// Package usermgmt is complete user management for Go services: sign-up and
// sign-in with JWT access and refresh tokens, email flows, two-factor
// authentication, sessions, roles and permissions, an admin toolset, an
// audit log, notifications and GDPR tooling.
//
// A host builds one Manager on a store, mounts its HTTP handler under its
// own router, and calls the same services from Go:
//
//	st, err := bunstore.Open(ctx, "sqlite://usermgmt.db")
//	if err != nil { ... }
//	m, err := usermgmt.New(st, usermgmt.WithBaseURL("https://app.example.com"))
//	if err != nil { ... }
//	if err := m.Migrate(ctx); err != nil { ... }
//	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", m.Handler()))
package usermgmt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/avatars"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/gdpr"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/twofa"
	"github.com/usermgmt/usermgmt/users"
)

// Version is the library's version, reported by /health/detailed.
const Version = "0.1.0"

// Aliases of the domain types a host needs most.
type (
	// User is an account.
	User = store.User
	// Role is a named set of permissions.
	Role = store.Role
	// Session is one signed-in device.
	Session = store.Session
	// AuditEntry is one recorded action.
	AuditEntry = store.AuditEntry
	// Error is the one error type the library returns; match it with
	// errors.Is against the Err values.
	Error = store.Error
	// Store is the persistence a Manager runs on.
	Store = store.Store
)

// Manager is the library's entry point: it owns the services and the HTTP
// handler built on one store. It is safe for concurrent use.
type Manager struct {
	cfg       config
	store     store.Store
	audit     *audit.Log
	passwords auth.Passwords
	mail      *notify.Async
	auth      *auth.Service
	users     *users.Service
	account   *users.Account
	twofa     *twofa.Service
	sessions  *sessions.Service
	rbac      *rbac.Service
	gdpr      *gdpr.Service
	admin     *admin.Service
	outbox    *events.Dispatcher
	avatars   *avatars.Service
	handler   http.Handler
	// auditQuery and the rest of the audit and notification wiring are
	// in audit_wiring.go.
	auditQuery *audit.Query
	notices    *notify.Center
}

// New builds a Manager on st. A misconfiguration fails here with an error
// naming the option, never later.
func New(st store.Store, opts ...Option) (*Manager, error) {
	if st == nil {
		return nil, errors.New("usermgmt: nil store")
	}
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("usermgmt: %w", err)
	}
	c.consoleDefaults()
	c.warn()
	m := &Manager{cfg: c, store: st, audit: audit.New(st, c.now), passwords: auth.Passwords{Preferred: c.hasher}}
	if err := m.buildServices(); err != nil {
		return nil, fmt.Errorf("usermgmt: %w", err)
	}
	m.handler = httpapi.New(httpapi.Config{
		Store:          st,
		Logger:         c.logger,
		Now:            c.now,
		Version:        c.version,
		BodyLimit:      c.bodyLimit,
		TrustedProxies: c.trustedProxies,
		Auth:           m.auth,
		Users:          m.users,
		Account:        m.account,
		TwoFA:          m.twofa,
		Sessions:       m.sessions,
		RBAC:           m.rbac,
		GDPR:           m.gdpr,
		Admin:          m.admin,
		Audit:          m.audit,
		Limits:         &c.limits,
		Limiter:        c.limiter,
		SharedLimiter:  c.sharedLimiter,
		MountPath:      c.handlerMount(),
		CORS:           httpapi.CORS{Origins: c.corsOrigins},
		AuditQuery:     m.auditQuery,
		Notifications:  m.notices,
		Stream:         c.stream,
		ImportLimit:    c.importLimit,
		Avatars:        m.avatars,
	})
	return m, nil
}

func (m *Manager) buildServices() error {
	c := &m.cfg
	tc := c.tokens.TokenConfig
	if tc.Issuer == "" {
		tc.Issuer = strings.TrimSuffix(c.baseURL.String(), "/")
	}
	if tc.Audience == "" {
		tc.Audience = tc.Issuer
	}
	tc.Now = c.now
	storeSigns := len(tc.Keys) == 0 && len(tc.Secret) == 0
	if storeSigns {
		tc.EncryptionKeys = c.encKeys
	}
	tokens, err := auth.NewTokens(m.store, tc)
	if err != nil {
		return err
	}
	m.mail = notify.NewAsync(c.mailer, c.logger, 16, 30*time.Second)
	m.sessions, err = sessions.New(sessions.Config{Store: m.store, Audit: m.audit, Now: c.now,
		Staleness: c.session.staleness, Logger: c.logger})
	if err != nil {
		return err
	}
	key, previous := c.encryptionKeys()
	switch {
	case storeSigns && len(c.encKeys) == 0:
		c.startLogger().Warn("usermgmt: no signing key and no encryption key configured: the token-signing " +
			"keys and the 2FA secrets' key are kept in the database as they are, so a copy of the " +
			"database alone lets anyone mint access tokens (admin ones too) and read 2FA secrets; " +
			"set WithEncryptionKey, or WithSigningKeys or WithHS256Secret")
	case key == nil:
		c.startLogger().Warn("usermgmt: the 2FA secrets' key is kept in the database, so a copy of the " +
			"database alone lets anyone read 2FA secrets; set WithEncryptionKey")
	}
	m.twofa, err = twofa.New(twofa.Config{
		Store: m.store, Audit: m.audit, Mail: m.mail, SMS: c.sms, Templates: c.templates,
		Passwords: m.passwords, Issuer: c.issuer(), Key: key, PreviousKeys: previous,
		Lockout: c.lockout, Now: c.now, Logger: c.logger,
		// auth is built next, with twofa as its second factor.
		RecentAuth: twofa.ReauthenticatorFunc(func(ctx context.Context, password string) error {
			return m.auth.RequireRecentAuth(ctx, password)
		}),
	})
	if err != nil {
		return err
	}
	m.auth, err = auth.New(auth.Config{
		Store: m.store, Audit: m.audit, Tokens: tokens, Passwords: m.passwords, Policy: c.policy,
		Mailer: c.mailer, Templates: c.templates, BaseURL: c.baseURL,
		VerifyEmailPath: c.verifyEmailPath(), ResetPasswordPath: c.resetPath,
		Lockout: c.lockout, RequireVerifiedEmail: c.requireVerified,
		RefreshTTL: c.session.refreshTTL, SessionLifetime: c.session.lifetime,
		IdleTimeout: c.session.idle, ReuseGrace: c.session.reuseGrace, Sessions: m.sessions,
		PrivilegedWindow: c.privileged,
		SecondFactor:     m.twofa, Now: c.now, Logger: c.logger,
	})
	if err != nil {
		return err
	}
	m.users = users.New(users.Config{Store: m.store, Audit: m.audit, Auth: m.auth, Now: c.now, Logger: c.logger,
		Cache: m.sessions})
	// The store announces every change to a user, a role or a session
	// (store.Changes); the sessions service drops what it cached, so no
	// service needs to tell another.
	m.rbac = rbac.New(m.store, m.audit, c.now)
	if err := m.buildAudit(); err != nil {
		return err
	}
	if m.avatars, err = m.buildAvatars(); err != nil {
		return err
	}
	m.gdpr, err = gdpr.New(gdpr.Config{Store: m.store, Audit: m.audit, RBAC: m.rbac, Now: c.now, Logger: c.logger,
		Files: m.avatars})
	if err != nil {
		return err
	}
	eraser := c.eraser
	if eraser == nil {
		eraser = users.EraserFunc(m.gdpr.Erase)
	}
	m.account, err = users.NewAccount(users.AccountConfig{
		Store: m.store, Audit: m.audit, Auth: m.auth, Sessions: m.sessions, RBAC: m.rbac,
		Eraser: eraser, RecoveryWindow: c.recovery, Now: c.now, Logger: c.logger,
	})
	if err != nil {
		return err
	}
	m.admin, err = admin.New(admin.Config{
		Store: m.store, Audit: m.audit, Auth: m.auth, Sessions: m.sessions, RBAC: m.rbac, GDPR: m.gdpr,
		Now: c.now, Logger: c.logger, Account: m.account, ImpersonationTTL: c.impersonationTTL,
		RecoveryWindow: c.recovery, StatsTTL: c.adminStatsTTL,
	})
	if err != nil {
		return err
	}
	m.outbox, err = m.newOutbox()
	return err
}

// handlerMount is the mount path in httpapi's spelling, where "" means
// the default and "/" the root.
func (c *config) handlerMount() string {
	if c.mountPath == "" {
		return "/"
	}
	return c.mountPath
}

// verifyEmailPath is WithEmailLinks' verification path, else the API's
// own route below the mount path.
func (c *config) verifyEmailPath() string {
	if c.verifyPath != "" {
		return c.verifyPath
	}
	return c.mountPath + "/auth/verify-email"
}

// Handler returns the HTTP API, for the mount path set by WithMountPath
// (default /api/v1). Mount it with http.StripPrefix, or with a router's
// own mounting (chi's Mount) that leaves the prefix in place: both work.
func (m *Manager) Handler() http.Handler { return m.handler }

// Migrate brings the store's schema up to date. It is safe to call from
// several instances at once.
func (m *Manager) Migrate(ctx context.Context) error { return m.store.Migrate(ctx) }

// Close waits for code mails and texts still being sent (other mail
// waits in the outbox for Run), then closes the store.
func (m *Manager) Close() error {
	m.mail.Close()
	m.sessions.Close()
	return m.store.Close()
}

// Auth returns the authentication service: registration, login, tokens,
// email verification and password reset.
func (m *Manager) Auth() *auth.Service { return m.auth }

// Users returns the profile service.
func (m *Manager) Users() *users.Service { return m.users }

// Account returns the account lifecycle service: deactivate and
// reactivate, soft delete and recover within the recovery window
// (WithAccountRecoveryWindow), and permanent deletion.
func (m *Manager) Account() *users.Account { return m.account }

// TwoFA returns the two-factor service: TOTP, email and SMS codes, backup
// codes and step-up verification.
func (m *Manager) TwoFA() *twofa.Service { return m.twofa }

// Sessions returns the session service: list and revoke devices.
func (m *Manager) Sessions() *sessions.Service { return m.sessions }

// RBAC returns the roles and permissions service.
func (m *Manager) RBAC() *rbac.Service { return m.rbac }

// Admin returns the administrators' toolset: user search and management,
// account actions, impersonation, bulk work, import, export and statistics.
func (m *Manager) Admin() *admin.Service { return m.admin }

// GDPR returns the erasure, purge and export service.
func (m *Manager) GDPR() *gdpr.Service { return m.gdpr }

// JWKSHandler serves the public keys that verify access tokens, for a host
// that publishes them at its site root:
//
//	mux.Handle("GET /.well-known/jwks.json", m.JWKSHandler())
func (m *Manager) JWKSHandler() http.Handler {
	return httpapi.JWKSHandler(m.auth, m.writeError)
}

// Store returns the store the Manager runs on.
func (m *Manager) Store() store.Store { return m.store }

// Audit returns the audit log.
func (m *Manager) Audit() *audit.Log { return m.audit }

// cleanupBatch bounds each delete of the cleanup job so it never holds
// long locks.
const cleanupBatch = 500

// Run runs the background jobs (delivering the outbox's events and mail,
// erasing soft-deleted accounts whose recovery window has passed, deleting
// expired sessions, spent tokens, old rate-limit windows and audit entries
// past WithAuditRetention, rolling up the audit statistics of closed
// hours) until ctx is done. A host calls it on the
// instances it chooses; any number may run it at once. Mail and events
// wait in the outbox until some instance runs it.
func (m *Manager) Run(ctx context.Context) error {
	defer m.runOutbox(ctx)()
	t := time.NewTicker(m.cfg.cleanupEvery)
	defer t.Stop()
	for {
		if _, err := m.gdpr.Purge(ctx); err != nil && ctx.Err() == nil {
			m.cfg.logger.ErrorContext(ctx, "purge failed", "err", err)
		}
		if err := m.cleanup(ctx); err != nil && ctx.Err() == nil {
			m.cfg.logger.ErrorContext(ctx, "cleanup failed", "err", err)
		}
		if err := m.retainAudit(ctx); err != nil && ctx.Err() == nil {
			m.cfg.logger.ErrorContext(ctx, "audit retention failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// cleanup deletes, in batches, sessions and one-time tokens that ended
// more than a day ago (kept that long so reuse of a spent refresh token is
// still recognised as reuse).
func (m *Manager) cleanup(ctx context.Context) error {
	cutoff := m.cfg.now().Add(-24 * time.Hour)
	for _, del := range []func() (int, error){
		func() (int, error) { return m.store.Sessions().DeleteStale(ctx, cutoff, cleanupBatch) },
		func() (int, error) { return m.store.OneTimeTokens().DeleteExpired(ctx, cutoff, cleanupBatch) },
		func() (int, error) { return m.store.RateLimits().DeleteExpired(ctx, cutoff, cleanupBatch) },
	} {
		for {
			n, err := del()
			if err != nil {
				return err
			}
			if n < cleanupBatch || ctx.Err() != nil {
				break
			}
		}
	}
	m.cfg.logger.DebugContext(ctx, "cleanup done", slog.Time("cutoff", cutoff))
	return nil
}

// Principal is the authenticated caller of a request.
type Principal = auth.Principal

// RequireAuth protects a host's own handler with the same bearer tokens as
// the API: requests without a valid access token get a 401 problem
// document; the others reach next with the caller in the context (see
// UserFromContext).
//
//	mux.Handle("GET /orders", m.RequireAuth(ordersHandler))
func (m *Manager) RequireAuth(next http.Handler) http.Handler {
	return httpapi.RequireAuth(m.auth, m.writeError)(next)
}

// UserFromContext returns the caller that RequireAuth admitted.
func UserFromContext(ctx context.Context) (*Principal, bool) {
	return httpapi.PrincipalFromContext(ctx)
}

func (m *Manager) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.WriteError(w, r, m.cfg.logger, err)
}

// Permission names one thing a role may allow, such as rbac.UserRead.
type Permission = rbac.Permission

// RequirePermission protects a host's own handler: the caller needs a
// valid access token (401 otherwise) and the permission through their
// current roles (403 PERMISSION_DENIED otherwise, audited).
//
//	mux.Handle("GET /reports", m.RequirePermission(rbac.AuditRead)(reports))
func (m *Manager) RequirePermission(perm Permission) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return m.RequireAuth(httpapi.RequirePermission(perm, m.audit, m.writeError)(next))
	}
}

// RequireSelfOr protects a route about one user: the caller passes when
// they are that user (userID(r) names them) or hold perm, as in "the user
// themself or USER_READ".
//
//	mux.Handle("GET /users/{id}/orders", m.RequireSelfOr(rbac.UserRead,
//		func(r *http.Request) string { return r.PathValue("id") })(orders))
func (m *Manager) RequireSelfOr(perm Permission, userID func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		byPermission := httpapi.RequirePermission(perm, m.audit, m.writeError)(next)
		return m.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, ok := UserFromContext(r.Context()); ok && p.UserID == userID(r) {
				next.ServeHTTP(w, r)
				return
			}
			byPermission.ServeHTTP(w, r)
		}))
	}
}
