package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/gdpr"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/users"
)

// Config is what the service needs. Store, Audit, Auth, Sessions, RBAC,
// GDPR and Account are required.
type Config struct {
	Store    store.Store
	Audit    *audit.Log
	Auth     *auth.Service
	Sessions *sessions.Service
	RBAC     *rbac.Service
	GDPR     *gdpr.Service
	// Events records the domain events of admin actions. Default: a
	// Recorder on Now.
	Events *events.Recorder
	// InApp creates the notices users get about admin actions on their
	// account. Default: one on Now.
	InApp *notify.InApp
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives failures that do not fail a request. Default:
	// discard.
	Logger *slog.Logger
	// Account applies the last-admin rule of the account lifecycle.
	// Required.
	Account *users.Account
	// ImpersonationTTL is how long an impersonation token lives: at most
	// MaxImpersonationTTL. Default: DefaultImpersonationTTL.
	ImpersonationTTL time.Duration
	// RecoveryWindow is how long a user soft-deleted in bulk can be
	// recovered. Default: users.DefaultRecoveryWindow.
	RecoveryWindow time.Duration
	// StatsTTL is how long the dashboard and the user counts of the
	// statistics are served from memory. Default: DefaultStatsTTL.
	StatsTTL time.Duration
}

// Service is the admin toolset.
type Service struct {
	cfg Config
	st  store.Store
	// dashboard and userCounts hold the statistics for Config.StatsTTL.
	dashboard    statsCache[Dashboard]
	userCounts   statsCache[statusRoleCounts]
	defaultStats statsCache[UserStats]
}

// New returns a Service. It fails when a required dependency is missing.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil || cfg.Auth == nil || cfg.Sessions == nil || cfg.RBAC == nil || cfg.GDPR == nil || cfg.Account == nil {
		return nil, errors.New("admin: Store, Audit, Auth, Sessions, RBAC, GDPR and Account are required")
	}
	switch {
	case cfg.ImpersonationTTL == 0:
		cfg.ImpersonationTTL = DefaultImpersonationTTL
	case cfg.ImpersonationTTL < time.Second || cfg.ImpersonationTTL > MaxImpersonationTTL:
		return nil, fmt.Errorf("admin: ImpersonationTTL must be from 1s to %s, got %s", MaxImpersonationTTL, cfg.ImpersonationTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Events == nil {
		cfg.Events = events.NewRecorder(cfg.Now)
	}
	if cfg.InApp == nil {
		cfg.InApp = notify.NewInApp(cfg.Now)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RecoveryWindow <= 0 {
		cfg.RecoveryWindow = users.DefaultRecoveryWindow
	}
	if cfg.StatsTTL <= 0 {
		cfg.StatsTTL = DefaultStatsTTL
	}
	return &Service{cfg: cfg, st: cfg.Store}, nil
}
