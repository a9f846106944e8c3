package httpapi

import (
	"net/http"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// RequirePermission admits callers holding perm (checked against their
// current roles, within the session staleness bound); others get 403
// PERMISSION_DENIED, audited as denied. Put it inside RequireAuth.
func RequirePermission(perm rbac.Permission, log *audit.Log, onError func(http.ResponseWriter, *http.Request, error)) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := PrincipalFromContext(r.Context())
			if !ok {
				onError(w, r, store.ErrUnauthenticated)
				return
			}
			if !p.Can(string(perm)) {
				err := store.ErrPermissionDenied.WithMessage("this needs the " + string(perm) + " permission")
				recordDenied(r, log, err, string(perm))
				onError(w, r, audit.MarkRecorded(err))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// recordDenied writes the audit row of a 403.
func recordDenied(r *http.Request, log *audit.Log, err error, permission string) {
	meta := map[string]string{"method": r.Method, "path": r.URL.Path, "code": store.AsError(err).Code}
	if permission != "" {
		meta["permission"] = permission
	}
	_ = log.RecordNow(r.Context(), audit.Entry{Action: "access.denied", Outcome: store.OutcomeDenied, Metadata: meta})
}

// can is the route-table form of RequireAuth + RequirePermission.
func (a *api) can(perm rbac.Permission, h http.HandlerFunc) http.Handler {
	return a.authed(RequirePermission(perm, a.cfg.Audit, a.problem)(h).ServeHTTP)
}
