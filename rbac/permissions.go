package rbac

// Permission names one thing a role may allow.
type Permission string

// The 14 permissions.
const (
	UserRead      Permission = "USER_READ"
	UserCreate    Permission = "USER_CREATE"
	UserUpdate    Permission = "USER_UPDATE"
	UserDelete    Permission = "USER_DELETE"
	UserManage    Permission = "USER_MANAGE"
	RoleRead      Permission = "ROLE_READ"
	RoleCreate    Permission = "ROLE_CREATE"
	RoleUpdate    Permission = "ROLE_UPDATE"
	RoleDelete    Permission = "ROLE_DELETE"
	RoleAssign    Permission = "ROLE_ASSIGN"
	AdminAccess   Permission = "ADMIN_ACCESS"
	AdminSettings Permission = "ADMIN_SETTINGS"
	AuditRead     Permission = "AUDIT_READ"
	SystemManage  Permission = "SYSTEM_MANAGE"
)

// PermissionInfo is a permission with what it allows.
type PermissionInfo struct {
	Name        Permission
	Description string
}

var permissions = []PermissionInfo{
	{UserRead, "Read user accounts, their roles and sessions"},
	{UserCreate, "Create user accounts, one by one or by import"},
	{UserUpdate, "Edit user accounts"},
	{UserDelete, "Delete user accounts"},
	{UserManage, "Lock, unlock, suspend and reactivate accounts, verify emails and send password resets"},
	{RoleRead, "Read roles and the permission list"},
	{RoleCreate, "Create roles"},
	{RoleUpdate, "Change roles"},
	{RoleDelete, "Delete roles"},
	{RoleAssign, "Give roles to users and take them away"},
	{AdminAccess, "Use the admin dashboard and impersonate users"},
	{AdminSettings, "Change administrative settings"},
	{AuditRead, "Read the audit log and its statistics"},
	{SystemManage, "Run system maintenance such as audit-log cleanup"},
}

// Permissions returns the 14 permissions with their descriptions, in a
// fixed order.
func Permissions() []PermissionInfo {
	return append([]PermissionInfo(nil), permissions...)
}

// Valid reports whether p names a known permission.
func Valid(p string) bool {
	for _, info := range permissions {
		if string(info.Name) == p {
			return true
		}
	}
	return false
}
