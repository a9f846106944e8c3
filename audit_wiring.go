package usermgmt

import (
	"context"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// buildAudit builds the audit query service on the rbac permission check,
// and the notification inbox.
func (m *Manager) buildAudit() error {
	m.notices = notify.NewCenter(m.store, m.cfg.now)
	var err error
	m.auditQuery, err = audit.NewQuery(m.audit, func(ctx context.Context, perm, action, target string) error {
		_, err := m.rbac.Require(ctx, rbac.Permission(perm), action, target)
		return err
	})
	return err
}

// AuditQuery returns the audit log's query service: filtered lists, a
// user's trail, statistics, analytics and cleanup, each checking the
// actor's permission.
func (m *Manager) AuditQuery() *audit.Query { return m.auditQuery }

// retainAudit deletes the entries WithAuditRetention no longer keeps, then
// brings the audit rollups up to date (after the delete, so that they
// roll again the hours it took from).
func (m *Manager) retainAudit(ctx context.Context) error {
	ctx = store.NewContextWithActor(ctx, store.SystemActor)
	if m.cfg.auditRetentionDays > 0 {
		if _, err := m.auditQuery.Cleanup(ctx, m.cfg.auditRetentionDays); err != nil {
			return err
		}
	}
	return m.auditQuery.RollUp(ctx)
}

// Notifications returns the in-app notification inbox of the user in the
// context, and Create for the host's own notices.
func (m *Manager) Notifications() *notify.Center { return m.notices }
