package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

type roleJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	BuiltIn     bool      `json:"builtIn"`
	UserCount   int       `json:"userCount"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

func toRoleJSON(r store.Role, userCount int) roleJSON {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	return roleJSON{ID: r.ID, Name: r.Name, Description: r.Description, Permissions: perms,
		BuiltIn: r.BuiltIn, UserCount: userCount, CreatedAt: utcTime(r.CreatedAt), UpdatedAt: utcTime(r.UpdatedAt)}
}

var roleSorts = map[string]func(roleJSON) string{
	"name":      func(r roleJSON) string { return strings.ToLower(r.Name) },
	"createdAt": func(r roleJSON) string { return r.CreatedAt.Format(time.RFC3339Nano) },
}

func (a *api) listRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := a.cfg.RBAC.Roles(r.Context())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	a.writeRoles(w, r, roles)
}

type permissionJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (a *api) listPermissions(w http.ResponseWriter, r *http.Request) {
	perms := rbac.Permissions()
	items := make([]permissionJSON, len(perms))
	for i, p := range perms {
		items[i] = permissionJSON{Name: string(p.Name), Description: p.Description}
	}
	writeList(a, w, r, items, map[string]func(permissionJSON) string{
		"name": func(p permissionJSON) string { return p.Name },
	})
}

func (a *api) getRole(w http.ResponseWriter, r *http.Request) {
	role, err := a.cfg.RBAC.Role(r.Context(), r.PathValue("id"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role.Role, role.UserCount))
}

type roleRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

func (in roleRequest) input() rbac.RoleInput {
	return rbac.RoleInput{Name: in.Name, Description: in.Description, Permissions: in.Permissions}
}

func (a *api) createRole(w http.ResponseWriter, r *http.Request) {
	var in roleRequest
	if !a.decode(w, r, &in) {
		return
	}
	role, err := a.cfg.RBAC.CreateRole(r.Context(), in.input())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toRoleJSON(role.Role, role.UserCount))
}

func (a *api) updateRole(w http.ResponseWriter, r *http.Request) {
	var in roleRequest
	if !a.decode(w, r, &in) {
		return
	}
	role, err := a.cfg.RBAC.UpdateRole(r.Context(), r.PathValue("id"), in.input())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role.Role, role.UserCount))
}

func (a *api) deleteRole(w http.ResponseWriter, r *http.Request) {
	if err := a.cfg.RBAC.DeleteRole(r.Context(), r.PathValue("id")); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) userRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := a.cfg.RBAC.UserRoles(r.Context(), r.PathValue("userId"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	a.writeRoles(w, r, roles)
}

func (a *api) writeRoles(w http.ResponseWriter, r *http.Request, roles []rbac.RoleInfo) {
	items := make([]roleJSON, len(roles))
	for i, ri := range roles {
		items[i] = toRoleJSON(ri.Role, ri.UserCount)
	}
	writeList(a, w, r, items, roleSorts)
}

type assignRequest struct {
	RoleID string `json:"roleId"`
}

func (a *api) assignRole(w http.ResponseWriter, r *http.Request) {
	var in assignRequest
	if !a.decode(w, r, &in) {
		return
	}
	if in.RoleID == "" {
		a.problem(w, r, store.Validation(store.FieldError{Field: "roleId", Message: "is required"}))
		return
	}
	roles, err := a.cfg.RBAC.Assign(r.Context(), r.PathValue("userId"), in.RoleID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	a.writeRoles(w, r, roles)
}

func (a *api) unassignRole(w http.ResponseWriter, r *http.Request) {
	if err := a.cfg.RBAC.Unassign(r.Context(), r.PathValue("userId"), r.PathValue("roleId")); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
