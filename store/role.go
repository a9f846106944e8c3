package store

import (
	"context"
	"time"
)

// Role is a named set of permissions. Built-in roles are seeded by
// migration; the rbac service refuses to delete or rename them (the store
// itself does not).
type Role struct {
	ID          string
	Name        string
	Description string
	// Permissions are permission names such as "USER_READ", sorted.
	Permissions []string
	BuiltIn     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Names of the built-in roles.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleUser      = "user"
)

// RoleStore persists roles and their assignment to users.
type RoleStore interface {
	// Create inserts r, assigning an ID when r.ID is empty; ErrRoleExists
	// when a role has that name in any letter case.
	Create(ctx context.Context, r *Role) error
	// ByID returns the role or an error matching ErrRoleNotFound.
	ByID(ctx context.Context, id string) (*Role, error)
	// ByName finds a role by name ignoring case, or ErrRoleNotFound.
	ByName(ctx context.Context, name string) (*Role, error)
	// List returns every role ordered by name.
	List(ctx context.Context) ([]Role, error)
	// Update writes name, description and permissions; ErrRoleNotFound or
	// ErrRoleExists.
	Update(ctx context.Context, r *Role) error
	// Delete removes a role that no user holds; ErrRoleNotFound, or
	// ErrRoleInUse while it is assigned.
	Delete(ctx context.Context, id string) error
	// Assign gives the role to the user; assigning a held role is not an
	// error. ErrUserNotFound or ErrRoleNotFound when either is missing.
	Assign(ctx context.Context, userID, roleID string, at time.Time) error
	// Unassign takes the role from the user; ErrRoleNotFound when the user
	// does not hold it.
	Unassign(ctx context.Context, userID, roleID string) error
	// RolesOf returns the roles a user holds, ordered by name.
	RolesOf(ctx context.Context, userID string) ([]Role, error)
	// CountUsers returns how many users hold the role.
	CountUsers(ctx context.Context, roleID string) (int, error)
	// UserCounts returns how many users hold each of the roles, in one
	// query however many roles are asked for, so that a list of roles
	// costs one round trip. Every id asked for is a key of the result:
	// unknown and malformed ids, and roles nobody holds, count 0.
	UserCounts(ctx context.Context, roleIDs []string) (map[string]int, error)
	// NamesOf returns the names of the roles each of the users holds,
	// ordered ignoring letter case, in one query however many users are
	// asked for, so that a page of users costs one round trip more.
	// Every id asked for is a key of the result: unknown and malformed
	// ids, and users without a role, map to an empty slice.
	NamesOf(ctx context.Context, userIDs []string) (map[string][]string, error)
	// Lock holds the role's row lock until the transaction ends, so that
	// callers who check and then change the role's holders (the last-admin
	// rule) take turns. ErrRoleNotFound when there is no such role.
	Lock(ctx context.Context, roleID string) error
}
