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
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/store"
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

// Errors most callers match on. See package store for the full list.
var (
	ErrNotFound           = store.ErrNotFound
	ErrUserNotFound       = store.ErrUserNotFound
	ErrEmailTaken         = store.ErrEmailTaken
	ErrUsernameTaken      = store.ErrUsernameTaken
	ErrInvalidCredentials = store.ErrInvalidCredentials
	ErrPermissionDenied   = store.ErrPermissionDenied
	ErrValidation         = store.ErrValidation
	ErrStoreUnavailable   = store.ErrStoreUnavailable
)

// Manager is the library's entry point: it owns the services and the HTTP
// handler built on one store. It is safe for concurrent use.
type Manager struct {
	cfg       config
	store     store.Store
	audit     *audit.Log
	passwords auth.Passwords
	handler   http.Handler
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
	m := &Manager{cfg: c, store: st, audit: audit.New(st, c.now), passwords: auth.Passwords{Preferred: c.hasher}}
	m.handler = httpapi.New(httpapi.Config{
		Store:          st,
		Logger:         c.logger,
		Now:            c.now,
		Version:        c.version,
		BodyLimit:      c.bodyLimit,
		TrustedProxies: c.trustedProxies,
	})
	return m, nil
}

// Handler returns the HTTP API. Its paths are relative; mount it under a
// prefix with http.StripPrefix.
func (m *Manager) Handler() http.Handler { return m.handler }

// Migrate brings the store's schema up to date. It is safe to call from
// several instances at once.
func (m *Manager) Migrate(ctx context.Context) error { return m.store.Migrate(ctx) }

// Close closes the store.
func (m *Manager) Close() error { return m.store.Close() }

// Store returns the store the Manager runs on.
func (m *Manager) Store() store.Store { return m.store }

// Audit returns the audit log.
func (m *Manager) Audit() *audit.Log { return m.audit }

// cleanupBatch bounds each delete of the cleanup job so it never holds
// long locks.
const cleanupBatch = 500

// Run runs the background jobs (deleting expired sessions, spent tokens and
// old rate-limit windows) until ctx is done. A host calls it on the instances it chooses;
// any number may run it at once.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.cleanupEvery)
	defer t.Stop()
	for {
		if err := m.cleanup(ctx); err != nil && ctx.Err() == nil {
			m.cfg.logger.ErrorContext(ctx, "cleanup failed", "err", err)
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
