package audit

import (
	"context"
	"errors"

	"github.com/usermgmt/usermgmt/store"
)

// The permissions the query service asks for, by the names rbac gives them
// (rbac.AuditRead and rbac.SystemManage; rbac records its refusals here, so
// this package cannot import it).
const (
	PermissionRead   = "AUDIT_READ"
	PermissionManage = "SYSTEM_MANAGE"
)

// RequireFunc lets the actor in ctx run an operation that needs
// permission, or returns why not: ErrUnauthenticated without an actor,
// ErrPermissionDenied (audited as denied under action and targetID) when
// the actor lacks it. The root wires rbac.Service.Require here.
type RequireFunc func(ctx context.Context, permission, action, targetID string) error

// Query reads the audit log for operators: filtered lists, one user's
// trail, statistics, analytics, and cleanup. Every method checks the
// actor's permission itself, so Go callers meet the same rule as HTTP ones.
type Query struct {
	log     *Log
	require RequireFunc
}

// NewQuery returns a Query over log's store, checking permissions with
// require.
func NewQuery(log *Log, require RequireFunc) (*Query, error) {
	if log == nil || require == nil {
		return nil, errors.New("audit: NewQuery needs a Log and a RequireFunc")
	}
	return &Query{log: log, require: require}, nil
}

// List returns one page of the entries matching f, newest first. It needs
// AUDIT_READ.
func (q *Query) List(ctx context.Context, f store.AuditFilter, r store.ListRequest) (store.Page[store.AuditEntry], error) {
	if err := q.require(ctx, PermissionRead, "audit.read", ""); err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return store.Page[store.AuditEntry]{}, store.Validation(store.FieldError{Field: "from", Message: "must be before to"})
	}
	return q.log.st.Audit().List(ctx, f, r)
}

// OfUser returns one page of the entries naming userID as actor or target,
// newest first. It needs AUDIT_READ. An id that names nobody gives an
// empty page: audit rows outlive their users.
func (q *Query) OfUser(ctx context.Context, userID string, r store.ListRequest) (store.Page[store.AuditEntry], error) {
	if err := q.require(ctx, PermissionRead, "audit.read", userID); err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	return q.log.st.Audit().List(ctx, store.AuditFilter{UserID: userID}, r)
}
