package usermgmt

import "context"

// EnsureAdmin makes sure an administrator with this email and password
// exists, for bootstrapping from configuration (see auth.Service.EnsureAdmin):
// the password passes the configured policy and hasher like any other.
func (m *Manager) EnsureAdmin(ctx context.Context, email, password string) error {
	return m.auth.EnsureAdmin(ctx, email, password)
}
