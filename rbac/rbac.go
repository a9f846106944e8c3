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
	// changed is told when a user's roles, or a role's permissions, changed,
	// so caches of this process drop what they knew at once.
	changed func(userID string)
}

// New returns a Service. changed, which may be nil, is called with a user
// id after that user's roles changed, and with "" after a role's
// permissions changed (every holder is affected).
func New(st store.Store, log *audit.Log, now func() time.Time, changed func(userID string)) *Service {
	if now == nil {
		now = time.Now
	}
	if changed == nil {
		changed = func(string) {}
	}
	return &Service{st: st, audit: log, now: now, changed: changed}
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

// Roles lists every role with its user count, ordered by name.
func (s *Service) Roles(ctx context.Context) ([]RoleInfo, error) {
	roles, err := s.st.Roles().List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RoleInfo, len(roles))
	for i, r := range roles {
		n, err := s.st.Roles().CountUsers(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out[i] = RoleInfo{Role: r, UserCount: n}
	}
	return out, nil
}

// Role returns one role with its user count, or ErrRoleNotFound.
func (s *Service) Role(ctx context.Context, id string) (*RoleInfo, error) {
	r, err := s.st.Roles().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	n, err := s.st.Roles().CountUsers(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return &RoleInfo{Role: *r, UserCount: n}, nil
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

// grantable refuses permissions the actor does not hold: nobody grants
// what they lack.
func (s *Service) grantable(ctx context.Context, r store.Repos, actorID string, perms []string) error {
	held, err := s.permissionsOf(ctx, r, actorID)
	if err != nil {
		return err
	}
	for _, p := range perms {
		if !held[p] {
			return store.ErrPermissionDenied.WithMessage("you cannot grant " + p + ", which you do not hold")
		}
	}
	return nil
}

// CreateRole creates a custom role. The actor must hold every permission
// the role grants (ErrPermissionDenied otherwise); a taken name in any
// letter case is ErrRoleExists.
func (s *Service) CreateRole(ctx context.Context, actorID string, in RoleInput) (*RoleInfo, error) {
	in, err := validate(in)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	role := &store.Role{Name: in.Name, Description: in.Description, Permissions: in.Permissions, CreatedAt: now, UpdatedAt: now}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := s.grantable(ctx, tx, actorID, in.Permissions); err != nil {
			return err
		}
		if err := tx.Roles().Create(ctx, role); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.create", TargetID: role.ID,
			Metadata: map[string]string{"name": role.Name, "permissions": strings.Join(role.Permissions, " ")}})
	})
	if err != nil {
		return nil, err
	}
	return &RoleInfo{Role: *role}, nil
}

// UpdateRole replaces a role's name, description and permissions. Built-in
// roles keep their names, and admin keeps every permission
// (ErrBuiltinRole). The actor must hold every permission the role will
// grant.
func (s *Service) UpdateRole(ctx context.Context, actorID, id string, in RoleInput) (*RoleInfo, error) {
	in, err := validate(in)
	if err != nil {
		return nil, err
	}
	var out *RoleInfo
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, id)
		if err != nil {
			return err
		}
		if role.BuiltIn && !strings.EqualFold(role.Name, in.Name) {
			return store.ErrBuiltinRole.WithMessage("built-in roles cannot be renamed")
		}
		if role.BuiltIn && role.Name == store.RoleAdmin && len(in.Permissions) != len(permissions) {
			return store.ErrBuiltinRole.WithMessage("the admin role keeps every permission")
		}
		if err := s.grantable(ctx, tx, actorID, in.Permissions); err != nil {
			return err
		}
		if role.BuiltIn {
			in.Name = role.Name
		}
		role.Name, role.Description, role.Permissions, role.UpdatedAt = in.Name, in.Description, in.Permissions, s.now().UTC()
		if err := tx.Roles().Update(ctx, role); err != nil {
			return err
		}
		n, err := tx.Roles().CountUsers(ctx, role.ID)
		if err != nil {
			return err
		}
		out = &RoleInfo{Role: *role, UserCount: n}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.update", TargetID: role.ID,
			Metadata: map[string]string{"name": role.Name, "permissions": strings.Join(role.Permissions, " ")}})
	})
	if err != nil {
		return nil, err
	}
	s.changed("")
	return out, nil
}

// DeleteRole deletes a custom role that nobody holds: built-in roles are
// ErrBuiltinRole, roles still assigned ErrRoleInUse.
func (s *Service) DeleteRole(ctx context.Context, id string) error {
	return s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, id)
		if err != nil {
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
}

// UserRoles returns the roles a user holds; ErrUserNotFound for no user.
func (s *Service) UserRoles(ctx context.Context, userID string) ([]store.Role, error) {
	if _, err := s.st.Users().ByID(ctx, userID); err != nil {
		return nil, err
	}
	return s.st.Roles().RolesOf(ctx, userID)
}

// Assign gives a role to a user. The actor must hold every permission the
// role grants.
func (s *Service) Assign(ctx context.Context, actorID, userID, roleID string) ([]store.Role, error) {
	var roles []store.Role
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, roleID)
		if err != nil {
			return err
		}
		if _, err := tx.Users().ByID(ctx, userID); err != nil {
			return err
		}
		if err := s.grantable(ctx, tx, actorID, role.Permissions); err != nil {
			return err
		}
		if err := tx.Roles().Assign(ctx, userID, roleID, s.now().UTC()); err != nil {
			return err
		}
		if roles, err = tx.Roles().RolesOf(ctx, userID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "role.assign", TargetID: userID,
			Metadata: map[string]string{"role_id": role.ID, "role": role.Name}})
	})
	if err != nil {
		return nil, err
	}
	s.changed(userID)
	return roles, nil
}

// Unassign takes a role from a user. The actor must hold every permission
// the role grants; the last holder of admin keeps it (ErrLastAdmin); a role
// the user does not hold is ErrRoleNotFound.
func (s *Service) Unassign(ctx context.Context, actorID, userID, roleID string) error {
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		role, err := tx.Roles().ByID(ctx, roleID)
		if err != nil {
			return err
		}
		if err := s.grantable(ctx, tx, actorID, role.Permissions); err != nil {
			return err
		}
		if role.Name == store.RoleAdmin {
			if err := LastAdminGuard(ctx, tx, userID); err != nil {
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
		return err
	}
	s.changed(userID)
	return nil
}

// LastAdminGuard returns ErrLastAdmin when userID is the only holder of
// the admin role. Call it inside the transaction that removes the user's
// admin role or deletes the user: it takes the admin role's lock, so two
// such transactions cannot both pass.
func LastAdminGuard(ctx context.Context, tx store.Repos, userID string) error {
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
