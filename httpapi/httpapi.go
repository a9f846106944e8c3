package httpapi

import (
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/avatars"
	"github.com/usermgmt/usermgmt/gdpr"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/ratelimit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/twofa"
	"github.com/usermgmt/usermgmt/users"
)

// DefaultBodyLimit is the default cap on request bodies.
const DefaultBodyLimit = 1 << 20

// Config is what the handler needs. The root package fills it from the
// Manager's options; zero values take the defaults documented per field.
type Config struct {
	Store store.Store
	// Logger receives the access log and the causes of 5xx answers.
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Version is reported by /health/detailed.
	Version string
	// BodyLimit caps request bodies in bytes. Default: 1 MiB.
	BodyLimit int64
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Auth and Users are the services the routes call.
	Auth     *auth.Service
	Users    *users.Service
	Sessions *sessions.Service
	RBAC     *rbac.Service
	// TwoFA serves the /2fa routes.
	TwoFA *twofa.Service
	// GDPR serves GET /account/export.
	GDPR *gdpr.Service
	// Account serves the /account routes.
	Account *users.Account
	// Audit records refusals (every 403 is audited).
	Audit *audit.Log
	// Limits are the request limits. Default: DefaultLimits().
	Limits *Limits
	// Limiter keeps the per-client windows. Default: in memory, per process.
	Limiter ratelimit.Limiter
	// SharedLimiter keeps the per-identifier windows. Default: in the store,
	// shared by every instance.
	SharedLimiter ratelimit.Limiter
	// MountPath is where the host mounts the handler: DefaultMountPath
	// when empty, "/" for the site root. It is the servers URL of the
	// served OpenAPI document. A request whose path still starts with it
	// (the host used chi's Mount, which does not strip the prefix, or
	// forgot http.StripPrefix) has it stripped here, so both ways of
	// mounting work.
	MountPath string
	// CORS lists the browser origins allowed to call the API. Default:
	// none, no cross-origin access.
	CORS CORS
	// Admin serves the /admin routes.
	Admin *admin.Service
	// AuditQuery serves the /audit routes.
	AuditQuery *audit.Query
	// Notifications serves the /notifications routes.
	Notifications *notify.Center
	// Stream times GET /notifications/stream.
	Stream StreamTiming
	// ImportLimit caps the body of POST /admin/users/import, in bytes.
	// Default: DefaultImportLimit.
	ImportLimit int64
	// Avatars serves the /upload routes and GET /avatars/{file}.
	Avatars *avatars.Service
}

// DefaultImportLimit is the default cap on an import upload: 64 MiB, some
// 400,000 rows with bcrypt hashes.
const DefaultImportLimit = 64 << 20

// DefaultMountPath is the mount path assumed when Config.MountPath is
// empty, the one the example server uses.
const DefaultMountPath = "/api/v1"

// Route is one entry of the route table: the method and path (relative to
// the mount point) and the permission it needs, if any.
type Route struct {
	Method string
	Path   string
	// Auth is "" for public routes, "bearer" for any signed-in user, or a
	// permission name.
	Auth    string
	handler http.Handler
}

type api struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	started time.Time
	mux     *http.ServeMux
	routes  []Route
	root    http.Handler
	// mount is the prefix stripped from paths that still carry it; ""
	// when mounted at the root.
	mount       string
	openAPIBody []byte
}

// New returns the HTTP API as one handler. Paths are relative to
// cfg.MountPath: mount it there with http.StripPrefix, or with a router
// that leaves the prefix in place (chi's Mount); both work.
func New(cfg Config) http.Handler {
	return newAPI(cfg)
}

// Routes lists every route the handler serves, for documentation checks.
func Routes(h http.Handler) []Route {
	if a, ok := h.(*api); ok {
		return append([]Route(nil), a.routes...)
	}
	return nil
}

func newAPI(cfg Config) *api {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.ImportLimit <= 0 {
		cfg.ImportLimit = DefaultImportLimit
	}
	if cfg.Limits == nil {
		l := DefaultLimits()
		cfg.Limits = &l
	}
	if cfg.Limiter == nil {
		cfg.Limiter = ratelimit.NewMemory(cfg.Now)
	}
	if cfg.SharedLimiter == nil {
		cfg.SharedLimiter = ratelimit.NewStore(cfg.Store, cfg.Now)
	}
	if cfg.MountPath == "" {
		cfg.MountPath = DefaultMountPath
	}
	cfg.Stream = cfg.Stream.withDefaults()
	a := &api{cfg: cfg, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux()}
	a.mount = strings.TrimSuffix(cfg.MountPath, "/")
	a.openAPIBody = openAPIFor(cfg.MountPath)
	a.started = a.now()
	a.routes = a.routeTable()
	for _, rt := range a.routes {
		a.mux.Handle(rt.Method+" "+rt.Path, rt.handler)
	}
	a.root = chain(http.HandlerFunc(a.dispatch),
		a.stripMount, a.requestFacts, a.accessLog, a.recoverPanics, securityHeaders, a.cors, a.rateLimit, a.limitBody)
	return a
}

// stripMount removes the mount path from a request that still carries
// it, so that the API works both behind http.StripPrefix and behind a
// router that mounts without stripping (chi's Mount). No route of the API
// starts with the mount path itself, so nothing is taken for the prefix
// by mistake.
func (a *api) stripMount(next http.Handler) http.Handler {
	if a.mount == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p != a.mount && !strings.HasPrefix(p, a.mount+"/") {
			next.ServeHTTP(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path = strings.TrimPrefix(p, a.mount)
		if r2.URL.Path == "" {
			r2.URL.Path = "/"
		}
		if r.URL.RawPath != "" {
			r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, a.mount)
			if r2.URL.RawPath == "" {
				r2.URL.RawPath = "/"
			}
		}
		next.ServeHTTP(w, r2)
	})
}

// routeTable is the whole API. The permission a route needs is visible
// here.
func (a *api) routeTable() []Route {
	pub := func(method, path string, h http.HandlerFunc) Route {
		return Route{Method: method, Path: path, handler: h}
	}
	authed := func(method, path string, h http.HandlerFunc) Route {
		return Route{Method: method, Path: path, Auth: "bearer", handler: a.authed(h)}
	}
	can := func(method, path string, perm rbac.Permission, h http.HandlerFunc) Route {
		return Route{Method: method, Path: path, Auth: string(perm), handler: a.can(perm, h)}
	}
	return []Route{
		pub("POST", "/auth/register", a.register),
		pub("POST", "/auth/login", a.login),
		pub("POST", "/auth/login/2fa", a.loginMFA),
		pub("POST", "/auth/login/2fa/send", a.loginMFASend),
		pub("POST", "/auth/refresh", a.refresh),
		pub("POST", "/auth/logout", a.logout),
		pub("GET", "/auth/verify-email", a.verifyEmailLink),
		pub("POST", "/auth/verify-email", a.verifyEmailPost),
		pub("POST", "/auth/resend-verification", a.resendVerification),
		pub("POST", "/auth/forgot-password", a.forgotPassword),
		pub("POST", "/auth/reset-password", a.resetPassword),
		authed("POST", "/auth/change-password", a.changePassword),
		pub("GET", "/auth/check-email", a.checkEmail),
		pub("GET", "/auth/check-username", a.checkUsername),
		{Method: "GET", Path: "/.well-known/jwks.json", handler: JWKSHandler(a.cfg.Auth, a.problem)},
		authed("GET", "/users/profile", a.profile),
		authed("PUT", "/users/profile", a.replaceProfile),
		authed("PATCH", "/users/profile", a.patchProfile),
		authed("GET", "/users/preferences", a.preferences),
		authed("PUT", "/users/preferences", a.setPreferences),
		// More specific patterns win in ServeMux, so this one never
		// shadows /users/profile or /users/preferences; those names are
		// reserved usernames too.
		pub("GET", "/users/{username}", a.publicProfile),

		authed("POST", "/account/deactivate", a.deactivateAccount),
		pub("POST", "/account/reactivate", a.reactivateAccount),
		authed("DELETE", "/account", a.deleteAccount),
		pub("POST", "/account/recover", a.recoverAccount),
		authed("POST", "/account/permanent-delete", a.permanentDeleteAccount),

		authed("GET", "/2fa/status", a.twoFAStatus),
		authed("POST", "/2fa/setup", a.twoFASetup),
		authed("POST", "/2fa/enable", a.twoFAEnable),
		authed("POST", "/2fa/disable", a.twoFADisable),
		authed("POST", "/2fa/verify", a.twoFAVerify),
		authed("POST", "/2fa/verify-backup", a.twoFAVerifyBackup),
		authed("POST", "/2fa/backup-codes", a.twoFABackupCodes),
		authed("POST", "/2fa/send", a.twoFASend),

		authed("GET", "/sessions", a.listSessions),
		authed("DELETE", "/sessions/{id}", a.revokeSession),
		authed("POST", "/sessions/revoke-all", a.revokeOtherSessions),

		authed("GET", "/account/export", a.exportAccount),

		can("GET", "/roles", rbac.RoleRead, a.listRoles),
		can("GET", "/roles/permissions", rbac.RoleRead, a.listPermissions),
		can("GET", "/roles/{id}", rbac.RoleRead, a.getRole),
		can("POST", "/roles", rbac.RoleCreate, a.createRole),
		can("PUT", "/roles/{id}", rbac.RoleUpdate, a.updateRole),
		can("DELETE", "/roles/{id}", rbac.RoleDelete, a.deleteRole),
		can("GET", "/roles/user/{userId}", rbac.UserRead, a.userRoles),
		can("POST", "/roles/user/{userId}/assign", rbac.RoleAssign, a.assignRole),
		can("DELETE", "/roles/user/{userId}/{roleId}", rbac.RoleAssign, a.unassignRole),

		{Method: "GET", Path: "/health", handler: http.HandlerFunc(a.health)},
		{Method: "GET", Path: "/health/detailed", handler: http.HandlerFunc(a.healthDetailed)},
		{Method: "GET", Path: "/ready", handler: http.HandlerFunc(a.ready)},
		{Method: "GET", Path: "/live", handler: http.HandlerFunc(a.live)},
		{Method: "GET", Path: "/openapi.json", handler: http.HandlerFunc(a.openAPI)},

		// Audit: the log, one user's trail, statistics, analytics, cleanup.
		can("GET", "/audit", rbac.AuditRead, a.listAudit),
		can("GET", "/audit/user/{userId}", rbac.AuditRead, a.userAudit),
		can("GET", "/audit/stats", rbac.AuditRead, a.auditStats),
		can("GET", "/audit/analytics", rbac.AuditRead, a.auditAnalytics),
		can("POST", "/audit/cleanup", rbac.SystemManage, a.auditCleanup),

		// Notifications: the signed-in user's inbox.
		authed("GET", "/notifications", a.listNotifications),
		authed("PATCH", "/notifications/{id}/read", a.markNotificationRead),
		authed("PATCH", "/notifications/read-all", a.markAllNotificationsRead),
		authed("DELETE", "/notifications/{id}", a.deleteNotification),
		authed("DELETE", "/notifications", a.deleteAllNotifications),
		authed("GET", "/notifications/stream", a.streamNotifications),

		// Admin core (issue 10 part A): user search and management,
		// account actions, impersonation.
		can("GET", "/admin/users", rbac.UserRead, a.listAdminUsers),
		can("POST", "/admin/users", rbac.UserCreate, a.createAdminUser),
		can("GET", "/admin/users/{id}", rbac.UserRead, a.getAdminUser),
		can("PATCH", "/admin/users/{id}", rbac.UserUpdate, a.patchAdminUser),
		can("DELETE", "/admin/users/{id}", rbac.UserDelete, a.deleteAdminUser),
		can("POST", "/admin/users/{id}/lock", rbac.UserManage, a.lockAdminUser),
		can("POST", "/admin/users/{id}/unlock", rbac.UserManage, a.unlockAdminUser),
		can("POST", "/admin/users/{id}/suspend", rbac.UserManage, a.suspendAdminUser),
		can("POST", "/admin/users/{id}/reactivate", rbac.UserManage, a.reactivateAdminUser),
		can("POST", "/admin/users/{id}/verify-email", rbac.UserManage, a.verifyAdminUserEmail),
		can("POST", "/admin/users/{id}/reset-password", rbac.UserManage, a.resetAdminUserPassword),
		can("POST", "/admin/users/{id}/2fa/reset", rbac.UserManage, a.resetAdminUserTwoFA),
		can("POST", "/admin/users/{id}/impersonate", rbac.AdminAccess, a.impersonateAdminUser),

		// Admin, part B: bulk work, export and import, dashboard and stats.
		can("POST", "/admin/bulk/assign-role", rbac.RoleAssign, a.bulkAssignRole),
		can("POST", "/admin/bulk/activate", rbac.UserManage, a.bulkStatus(func(s *admin.Service) bulkCall { return s.BulkActivate })),
		can("POST", "/admin/bulk/deactivate", rbac.UserManage, a.bulkStatus(func(s *admin.Service) bulkCall { return s.BulkDeactivate })),
		can("POST", "/admin/bulk/delete", rbac.UserDelete, a.bulkStatus(func(s *admin.Service) bulkCall { return s.BulkDelete })),
		can("GET", "/admin/users/export", rbac.UserRead, a.exportUsers),
		can("POST", "/admin/users/import", rbac.UserCreate, a.importUsers),
		can("GET", "/admin/dashboard", rbac.AdminAccess, a.dashboard),
		can("GET", "/admin/users/stats", rbac.UserRead, a.userStats),

		// Avatars: uploads, signed direct uploads, and the files.
		authed("POST", "/upload/avatar", a.uploadAvatar),
		authed("DELETE", "/upload/avatar", a.deleteAvatar),
		authed("GET", "/upload/avatar-url", a.signAvatarUpload),
		pub("PUT", "/upload/avatar/{objectId}", a.putSignedAvatar),
		pub("GET", "/avatars/{file}", a.avatarFile),
	}
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.root.ServeHTTP(w, r)
}

// dispatch routes the request, answering unknown routes and wrong methods
// with problem documents instead of ServeMux's plain text.
func (a *api) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern == "" {
		probe := &headerRecorder{header: http.Header{}}
		a.mux.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeProblem(w, r, store.ErrMethodNotAllowed)
			return
		case http.StatusNotFound, 0:
			writeProblem(w, r, store.ErrNotFound.WithMessage("no such route"))
			return
		}
		if isAvatarPath(r) {
			writeProblem(w, r, store.ErrNotFound.WithMessage("no such avatar"))
			return
		}
		// A redirect (such as a cleaned path): let the mux answer it.
	}
	a.mux.ServeHTTP(w, r)
}

// headerRecorder captures what ServeMux would answer for an unmatched
// request without writing it.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(status int)      { h.status = status }
