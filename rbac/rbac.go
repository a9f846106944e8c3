// Package rbac holds roles and permissions: the 14 permissions, built-in
// and custom roles, their assignment to users, and the rules that nobody
// grants what they lack and that the last administrator stays one.
//
//	ok, err := m.RBAC().Can(ctx, userID, rbac.UserRead)
package rbac

import (
	"context"

	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// Service manages roles. It is safe for concurrent use.
type Service struct {
	st    store.Store
	audit *audit.Log
	now   func() time.Time
}

// New returns a Service. Caches of a user's roles learn of changes from
// the store's announcements (store.Changes), not from the Service.
func New(st store.Store, log *audit.Log, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, audit: log, now: now}
}

// RoleInfo is a role with the number of users holding it.
type RoleInfo struct {
	store.Role
	UserCount int
}

// RoleInput is what a role is created or updated with.
type RoleInput struct {
	Name        string
	Description string
	Permissions []string
}

// Can reports whether the user currently holds the permission through any
// of their roles.
func (s *Service) Can(ctx context.Context, userID string, p Permission) (bool, error) {
	perms, err := s.permissionsOf(ctx, s.st, userID)
	if err != nil {
		return false, err
	}
	return perms[string(p)], nil
}

func (s *Service) permissionsOf(ctx context.Context, r store.Repos, userID string) (map[string]bool, error) {
	roles, err := r.Roles().RolesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	perms := map[string]bool{}
	for _, role := range roles {
		for _, p := range role.Permissions {
			perms[p] = true
		}
	}
	return perms, nil
}

// Roles lists every role with its user count, ordered by name. It checks
// no permission: the HTTP route needs ROLE_READ.
func (s *Service) Roles(ctx context.Context) ([]RoleInfo, error) {
	roles, err := s.st.Roles().List(ctx)
	if err != nil {
		return nil, err
	}
	return withCounts(ctx, s.st, roles)
}

// Role returns one role with its user count, or ErrRoleNotFound. It checks
// no permission: the HTTP route needs ROLE_READ.
func (s *Service) Role(ctx context.Context, id string) (*RoleInfo, error) {
	r, err := s.st.Roles().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	out, err := withCounts(ctx, s.st, []store.Role{*r})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// withCounts adds each role's user count, asked for all roles in one query.
func withCounts(ctx context.Context, r store.Repos, roles []store.Role) ([]RoleInfo, error) {
	ids := make([]string, len(roles))
	for i, role := range roles {
		ids[i] = role.ID
	}
	counts, err := r.Roles().UserCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]RoleInfo, len(roles))
	for i, role := range roles {
		out[i] = RoleInfo{Role: role, UserCount: counts[role.ID]}
	}
	return out, nil
}

// validate checks a role's name and permissions.
func validate(in RoleInput) (RoleInput, error) {
	var fields []store.FieldError
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n < 2 || n > 50 || strings.ContainsAny(in.Name, "\r\n\x00") {
		fields = append(fields, store.FieldError{Field: "name", Message: "must be 2 to 50 characters on one line"})
	}
	if utf8.RuneCountInString(in.Description) > 500 {
		fields = append(fields, store.FieldError{Field: "description", Message: "must be at most 500 characters"})
	}
	seen := map[string]bool{}
	perms := []string{}
	for _, p := range in.Permissions {
		if !Valid(p) {
			fields = append(fields, store.FieldError{Field: "permissions", Message: "unknown permission " + quote(p)})
			continue
		}
		if !seen[p] {
			seen[p] = true
			perms = append(perms, p)
		}
	}
	if len(fields) > 0 {
		return in, store.Validation(fields...)
	}
	sort.Strings(perms)
	in.Permissions = perms
	return in, nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}

// builtinPermissions returns the fixed permissions of a built-in role,
// sorted: admin holds every permission, moderator USER_READ, USER_UPDATE
// and AUDIT_READ, user none.
func builtinPermissions(name string) []string {
	var perms []string
	switch name {
	case store.RoleAdmin:
		for _, p := range permissions {
			perms = append(perms, string(p.Name))
		}
	case store.RoleModerator:
		perms = []string{string(AuditRead), string(UserRead), string(UserUpdate)}
	}
	sort.Strings(perms)
	return perms
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// authorize lets the actor in ctx run an operation that needs op on a role
// whose permissions, before and after the change, are perms. The actor
// must hold op and every one of those permissions: nobody grants, edits,
// deletes or takes away what they lack, so a role manager cannot hand out
// or strip powers above their own. SystemActor passes; a context without
// an actor is ErrUnauthenticated. On refusal it returns the permission the
// actor lacks, for the audit row.
func (s *Service) authorize(ctx context.Context, r store.Repos, op Permission, perms ...[]string) (string, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return "", err
	}
	if actor.System {
		return "", nil
	}
	held, err := s.permissionsOf(ctx, r, actor.UserID)
	if err != nil {
		return "", err
	}
	if !held[string(op)] {
		return string(op), store.ErrPermissionDenied.WithMessage("this needs the " + string(op) + " permission")
	}
	for _, list := range perms {
		for _, p := range list {
			if !held[p] {
				return p, store.ErrPermissionDenied.WithMessage("the role grants " + p + ", which you do not hold")
			}
		}
	}
	return "", nil
}

// actorOf returns the actor in ctx, or ErrUnauthenticated when there is
// none. The changing methods ask first, so that a context without an
// actor is refused before anything is looked up.
func actorOf(ctx context.Context) (store.Actor, error) {
	actor, ok := store.ActorFromContext(ctx)
	if !ok || actor.IsZero() {
		return store.Actor{}, store.ErrUnauthenticated
	}
	return actor, nil
}

// refused writes the audit row of a permission refusal, after the
// transaction that found it rolled back, and marks err so that the HTTP
// layer, which audits every 403, does not write a second row. Other errors
// pass through.
func (s *Service) refused(ctx context.Context, action, targetID, permission string, meta map[string]string, err error) error {
	if err == nil || permission == "" || s.audit == nil || audit.Recorded(err) {
		return err
	}
	md := map[string]string{"code": store.AsError(err).Code, "permission": permission}
	for k, v := range meta {
		md[k] = v
	}
	if rerr := s.audit.RecordNow(ctx, audit.Entry{Action: action, TargetID: targetID, Outcome: store.OutcomeDenied, Metadata: md}); rerr != nil {
		return err
	}
	return audit.MarkRecorded(err)
}

// CreateRole creates a custom role as the actor in ctx, who must hold
// ROLE_CREATE and every permission the role grants (ErrPermissionDenied,
// audited as denied). A taken name in any letter case is ErrRoleExists; a
// context without an actor ErrUnauthenticated.
func (s *Service) CreateRole(ctx context.Context, in RoleInput) (*RoleInfo, error) {
	if _, err := actorOf(ctx); err != nil {
		return nil, err
	}
	in, err := validate(in)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	role := &store.Role{Name: in.Name, Description: in.Description, Permissions: in.Permissions, CreatedAt: now, UpdatedAt: now}
	var denied string
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if denied, err = s.authorize(ctx, tx, RoleCreate, in.Permissions); err != nil {
			return err
		}
		if err := tx.Roles().Create(ctx, role); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.create", TargetID: role.ID,
			Metadata: map[string]string{"name": role.Name, "permissions": strings.Join(role.Permissions, " ")}})
	})
	if err != nil {
		return nil, s.refused(ctx, "role.create", "", denied, map[string]string{"name": in.Name}, err)
	}
	return &RoleInfo{Role: *role}, nil
}

// UpdateRole replaces a role's name, description and permissions as the
// actor in ctx, who must hold ROLE_UPDATE and every permission the role
// grants before and after the change (ErrPermissionDenied, audited as
// denied). Built-in roles keep their names and their permissions
// (ErrBuiltinRole); their description may change.
func (s *Service) UpdateRole(ctx context.Context, id string, in RoleInput) (*RoleInfo, error) {
	if _, err := actorOf(ctx); err != nil {
		return nil, err
	}
	in, err := validate(in)
	if err != nil {
		return nil, err
	}
	var out *RoleInfo
	var denied string
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, id)
		if err != nil {
			return err
		}
		if denied, err = s.authorize(ctx, tx, RoleUpdate, role.Permissions, in.Permissions); err != nil {
			return err
		}
		if role.BuiltIn && !strings.EqualFold(role.Name, in.Name) {
			return store.ErrBuiltinRole.WithMessage("built-in roles cannot be renamed")
		}
		if role.BuiltIn && !sameSet(in.Permissions, builtinPermissions(role.Name)) {
			return store.ErrBuiltinRole.WithMessage("the permissions of the built-in role " + role.Name + " are fixed")
		}
		if role.BuiltIn {
			in.Name = role.Name
		}
		role.Name, role.Description, role.Permissions, role.UpdatedAt = in.Name, in.Description, in.Permissions, s.now().UTC()
		if err := tx.Roles().Update(ctx, role); err != nil {
			return err
		}
		infos, err := withCounts(ctx, tx, []store.Role{*role})
		if err != nil {
			return err
		}
		out = &infos[0]
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.update", TargetID: role.ID,
			Metadata: map[string]string{"name": role.Name, "permissions": strings.Join(role.Permissions, " ")}})
	})
	if err != nil {
		return nil, s.refused(ctx, "role.update", id, denied, nil, err)
	}
	return out, nil
}

// DeleteRole deletes a custom role that nobody holds, as the actor in ctx,
// who must hold ROLE_DELETE and every permission the role grants
// (ErrPermissionDenied, audited as denied). Built-in roles are
// ErrBuiltinRole, roles still assigned ErrRoleInUse.
func (s *Service) DeleteRole(ctx context.Context, id string) error {
	if _, err := actorOf(ctx); err != nil {
		return err
	}
	var denied string
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, id)
		if err != nil {
			return err
		}
		if denied, err = s.authorize(ctx, tx, RoleDelete, role.Permissions); err != nil {
			return err
		}
		if role.BuiltIn {
			return store.ErrBuiltinRole.WithMessage("built-in roles cannot be deleted")
		}
		if err := tx.Roles().Delete(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.delete", TargetID: id,
			Metadata: map[string]string{"name": role.Name}})
	})
	return s.refused(ctx, "role.delete", id, denied, nil, err)
}

// UserRoles returns the roles a user holds, each with its user count;
// ErrUserNotFound for no user. It checks no permission: the HTTP route
// needs USER_READ.
func (s *Service) UserRoles(ctx context.Context, userID string) ([]RoleInfo, error) {
	if _, err := s.st.Users().ByID(ctx, userID); err != nil {
		return nil, err
	}
	roles, err := s.st.Roles().RolesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	return withCounts(ctx, s.st, roles)
}

// Assign gives a role to a user as the actor in ctx, who must hold
// ROLE_ASSIGN and every permission the role grants (ErrPermissionDenied,
// audited as denied), and returns the roles the user then holds, each with
// its user count.
func (s *Service) Assign(ctx context.Context, userID, roleID string) ([]RoleInfo, error) {
	if _, err := actorOf(ctx); err != nil {
		return nil, err
	}
	var roles []RoleInfo
	var denied string
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, roleID)
		if err != nil {
			return err
		}
		if _, err := tx.Users().ByID(ctx, userID); err != nil {
			return err
		}
		if denied, err = s.authorize(ctx, tx, RoleAssign, role.Permissions); err != nil {
			return err
		}
		if err := tx.Roles().Assign(ctx, userID, roleID, s.now().UTC()); err != nil {
			return err
		}
		held, err := tx.Roles().RolesOf(ctx, userID)
		if err != nil {
			return err
		}
		if roles, err = withCounts(ctx, tx, held); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.assign", TargetID: userID,
			Metadata: map[string]string{"role_id": role.ID, "role": role.Name}})
	})
	if err != nil {
		return nil, s.refused(ctx, "role.assign", userID, denied, map[string]string{"role_id": roleID}, err)
	}
	return roles, nil
}

// Unassign takes a role from a user as the actor in ctx, who must hold
// ROLE_ASSIGN and every permission the role grants (ErrPermissionDenied,
// audited as denied). The last holder of admin keeps it (ErrLastAdmin); a
// role the user does not hold is ErrRoleNotFound.
func (s *Service) Unassign(ctx context.Context, userID, roleID string) error {
	if _, err := actorOf(ctx); err != nil {
		return err
	}
	var denied string
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, roleID)
		if err != nil {
			return err
		}
		if denied, err = s.authorize(ctx, tx, RoleAssign, role.Permissions); err != nil {
			return err
		}
		if role.Name == store.RoleAdmin {
			if err := s.GuardLastAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		if err := tx.Roles().Unassign(ctx, userID, roleID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.unassign", TargetID: userID,
			Metadata: map[string]string{"role_id": role.ID, "role": role.Name}})
	})
	if err != nil {
		return s.refused(ctx, "role.unassign", userID, denied, map[string]string{"role_id": roleID}, err)
	}
	return nil
}

// GuardLastAdmin returns ErrLastAdmin when userID is the only holder of
// the admin role, and nil when the user is no admin or another admin
// remains. Call it inside the transaction that removes the user's admin
// role or deletes the user, before that change: it takes the admin role's
// row lock, so two such transactions cannot both pass and leave no admin.
// It checks no permission; the caller does.
func (s *Service) GuardLastAdmin(ctx context.Context, tx store.Repos, userID string) error {
	admin, err := tx.Roles().ByName(ctx, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := tx.Roles().Lock(ctx, admin.ID); err != nil {
		return err
	}
	held, err := tx.Roles().RolesOf(ctx, userID)
	if err != nil {
		return err
	}
	isAdmin := false
	for _, r := range held {
		isAdmin = isAdmin || r.ID == admin.ID
	}
	if !isAdmin {
		return nil
	}
	n, err := tx.Roles().CountUsers(ctx, admin.ID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return store.ErrLastAdmin
	}
	return nil
}
