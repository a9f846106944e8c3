package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type bulk struct{ repos }

// validIDs keeps the ids that are UUIDs, each once: PostgreSQL would refuse
// the whole statement over a malformed one, which names no row anyway.
func validIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] && validID(id) {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (r bulk) Targets(ctx context.Context, ids []string) ([]store.BulkTarget, error) {
	ids = validIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		ID     string `bun:"id"`
		Status string `bun:"status"`
	}
	if err := r.db.NewSelect().Model((*userModel)(nil)).Column("u.id", "u.status").
		Where("u.id IN (?)", bun.In(ids)).Scan(ctx, &rows); err != nil {
		return nil, translate(err, nil)
	}
	var held []userRoleModel
	if err := r.db.NewSelect().Model(&held).Column("ur.user_id", "ur.role_id").
		Where("ur.user_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, translate(err, nil)
	}
	roles := make(map[string][]string, len(rows))
	for _, h := range held {
		roles[h.UserID] = append(roles[h.UserID], h.RoleID)
	}
	out := make([]store.BulkTarget, len(rows))
	for i, row := range rows {
		out[i] = store.BulkTarget{ID: row.ID, Status: store.Status(row.Status), RoleIDs: roles[row.ID]}
	}
	return out, nil
}

func (r bulk) SetStatus(ctx context.Context, ids []string, c store.StatusChange) (int, error) {
	ids = validIDs(ids)
	if len(ids) == 0 {
		return 0, nil
	}
	var deletedAt, purgeAfter *time.Time
	if c.Status == store.StatusDeleted {
		at := utc(c.At)
		deletedAt, purgeAfter = &at, utcPtr(c.PurgeAfter)
	}
	var changed []string
	err := r.write(func() error {
		return r.db.NewUpdate().Model((*userModel)(nil)).
			Set("status = ?", string(c.Status)).Set("updated_at = ?", utc(c.At)).
			Set("deleted_at = ?", deletedAt).Set("purge_after = ?", purgeAfter).
			Set("suspended_reason = NULL").Set("suspended_until = NULL").
			Where("id IN (?)", bun.In(ids)).Returning("id").Scan(ctx, &changed)
	})
	if err != nil {
		return 0, translate(err, nil)
	}
	r.announce(store.UserChanged, changed)
	return len(changed), nil
}

func (r bulk) AssignRole(ctx context.Context, ids []string, roleID string, at time.Time) (int, error) {
	if !validID(roleID) {
		return 0, store.ErrRoleNotFound
	}
	exists, err := r.db.NewSelect().Model((*roleModel)(nil)).Where("id = ?", roleID).Exists(ctx)
	if err != nil {
		return 0, translate(err, nil)
	}
	if !exists {
		return 0, store.ErrRoleNotFound
	}
	ids = validIDs(ids)
	if len(ids) == 0 {
		return 0, nil
	}
	var given []string
	err = r.write(func() error {
		return r.db.NewRaw(`INSERT INTO user_roles (user_id, role_id, created_at)
			SELECT u.id, ?, ? FROM users AS u WHERE u.id IN (?)
			AND NOT EXISTS (SELECT 1 FROM user_roles AS ur WHERE ur.user_id = u.id AND ur.role_id = ?)
			RETURNING user_id`, roleID, utc(at), bun.In(ids), roleID).Scan(ctx, &given)
	})
	if err != nil {
		return 0, translate(err, nil)
	}
	r.announce(store.UserChanged, given)
	return len(given), nil
}

func (r bulk) RevokeSessions(ctx context.Context, ids []string, at time.Time, reason string) (int, error) {
	ids = validIDs(ids)
	if len(ids) == 0 {
		return 0, nil
	}
	var owners []string
	err := r.write(func() error {
		return r.db.NewUpdate().Model((*sessionModel)(nil)).
			Set("revoked_at = ?", utc(at)).Set("revoke_reason = ?", reason).
			Where("user_id IN (?) AND revoked_at IS NULL AND expires_at > ?", bun.In(ids), utc(at)).
			Returning("user_id").Scan(ctx, &owners)
	})
	if err != nil {
		return 0, translate(err, nil)
	}
	r.announce(store.UserSessionsRevoked, validIDs(owners))
	return len(owners), nil
}

func (r bulk) CountActiveHolders(ctx context.Context, roleID string, except []string) (int, error) {
	if !validID(roleID) {
		return 0, nil
	}
	q := r.db.NewSelect().Model((*userRoleModel)(nil)).
		Join("JOIN users AS u ON u.id = ur.user_id").
		Where("ur.role_id = ? AND u.status = ?", roleID, string(store.StatusActive))
	if except = validIDs(except); len(except) > 0 {
		q = q.Where("ur.user_id NOT IN (?)", bun.In(except))
	}
	n, err := q.Count(ctx)
	return n, translate(err, nil)
}

func (r bulk) RecordAudit(ctx context.Context, entries []store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	models := make([]auditModel, len(entries))
	for i := range entries {
		e := &entries[i]
		if e.ID == "" {
			e.ID = newID()
		}
		e.CreatedAt = utc(e.CreatedAt)
		models[i] = auditModel{ID: e.ID, ActorID: e.ActorID, ImpersonatorID: e.ImpersonatorID, Action: e.Action,
			TargetID: e.TargetID, Outcome: string(e.Outcome), IP: e.IP, UserAgent: e.UserAgent,
			RequestID: e.RequestID, Metadata: e.Metadata, CreatedAt: e.CreatedAt}
	}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(&models).Exec(ctx)
		return err
	})
	return translate(err, nil)
}

// announce announces a change of kind for each user of ids.
func (r bulk) announce(kind store.ChangeKind, ids []string) {
	for _, id := range ids {
		r.changed(store.Change{Kind: kind, UserID: id})
	}
}
