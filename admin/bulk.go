package admin

import (
	"context"
	"strconv"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// MaxBulkIDs is the most user ids one bulk call may name; more is a
// Validation naming "userIds". It is large enough for a screen's
// "select all matching" at admin scale and small enough that one request
// holds the database for seconds, not minutes.
const MaxBulkIDs = 10000

// BulkChunk is how many users one transaction of a bulk call changes:
// each chunk commits with its audit rows and its UserBulkAction event, so
// a failure part-way leaves whole chunks done and the rest untouched.
const BulkChunk = 500

// BulkFailure is a user a bulk call did not act on, with the stable code
// of the reason: USER_NOT_FOUND, PERMISSION_DENIED (the user holds a
// permission the caller lacks), ACCOUNT_DELETED (activate or deactivate
// of a soft-deleted user; recovery restores those) or LAST_ADMIN.
type BulkFailure struct {
	ID   string
	Code string
}

// BulkResult is the outcome of a bulk call. Succeeded counts the users
// that are in the asked-for state afterwards, those that already were
// included (a repeated call is harmless, and nothing is written for
// them).
type BulkResult struct {
	Succeeded int
	Failed    []BulkFailure
}

// bulkOp is one bulk action: its permission, audit action and rules.
type bulkOp struct {
	name   string // the event payload's "action" and the audit suffix
	perm   rbac.Permission
	status store.Status
	// revokes: the users changed lose their sessions, and the last-admin
	// rule holds (only active administrators count).
	revokes bool
	// from says whether a user of the status is changed (true), already
	// done (false, ok), or refused with code.
	from func(store.Status) (change bool, code string)
}

var (
	opActivate = bulkOp{name: "activate", perm: rbac.UserManage, status: store.StatusActive,
		from: func(s store.Status) (bool, string) { return refuseDeleted(s, store.StatusActive) }}
	opDeactivate = bulkOp{name: "deactivate", perm: rbac.UserManage, status: store.StatusDeactivated, revokes: true,
		from: func(s store.Status) (bool, string) { return refuseDeleted(s, store.StatusDeactivated) }}
	opDelete = bulkOp{name: "delete", perm: rbac.UserDelete, status: store.StatusDeleted, revokes: true,
		from: func(s store.Status) (bool, string) { return s != store.StatusDeleted, "" }}
)

// refuseDeleted changes every status but target and deleted.
func refuseDeleted(s, target store.Status) (bool, string) {
	if s == store.StatusDeleted {
		return false, store.ErrAccountDeleted.Code
	}
	return s != target, ""
}

// BulkActivate makes the users active as the actor in ctx, who needs
// USER_MANAGE: deactivated, suspended and locked users become active
// (a suspension's reason and end are cleared). Soft-deleted users fail
// with ACCOUNT_DELETED.
func (s *Service) BulkActivate(ctx context.Context, userIDs []string) (BulkResult, error) {
	return s.bulkStatus(ctx, opActivate, userIDs)
}

// BulkDeactivate deactivates the users as the actor in ctx, who needs
// USER_MANAGE, and revokes their sessions. The last active administrator
// is never deactivated (LAST_ADMIN), however many the call names.
func (s *Service) BulkDeactivate(ctx context.Context, userIDs []string) (BulkResult, error) {
	return s.bulkStatus(ctx, opDeactivate, userIDs)
}

// BulkDelete soft-deletes the users as the actor in ctx, who needs
// USER_DELETE: status deleted, recoverable until the recovery window
// ends, sessions revoked, the last active administrator kept.
func (s *Service) BulkDelete(ctx context.Context, userIDs []string) (BulkResult, error) {
	return s.bulkStatus(ctx, opDelete, userIDs)
}

func (s *Service) bulkStatus(ctx context.Context, op bulkOp, userIDs []string) (BulkResult, error) {
	action := "admin.bulk." + op.name
	actor, err := s.cfg.RBAC.Require(ctx, op.perm, action, "")
	if err != nil {
		return BulkResult{}, err
	}
	ids, err := bulkIDs(userIDs)
	if err != nil {
		return BulkResult{}, err
	}
	g, err := s.newGuard(ctx, actor)
	if err != nil {
		return BulkResult{}, err
	}
	var res BulkResult
	for start := 0; start < len(ids); start += BulkChunk {
		chunk := ids[start:min(start+BulkChunk, len(ids))]
		var part BulkResult
		err := s.st.InTx(ctx, func(tx store.Repos) error {
			var err error
			part, err = s.statusChunk(ctx, tx, op, g, chunk)
			return err
		})
		if err != nil {
			return res, err
		}
		res.Succeeded += part.Succeeded
		res.Failed = append(res.Failed, part.Failed...)
	}
	return res, nil
}

// statusChunk applies op to one chunk inside tx.
func (s *Service) statusChunk(ctx context.Context, tx store.Repos, op bulkOp, g *guard, ids []string) (BulkResult, error) {
	if op.revokes {
		if err := tx.Roles().Lock(ctx, g.adminRoleID); err != nil {
			return BulkResult{}, err
		}
	}
	targets, err := tx.Bulk().Targets(ctx, ids)
	if err != nil {
		return BulkResult{}, err
	}
	p := g.plan(ids, targets, op.from)
	if op.revokes {
		if err := g.keepLastAdmin(ctx, tx, &p); err != nil {
			return BulkResult{}, err
		}
	}
	now := s.cfg.Now().UTC()
	change := store.StatusChange{Status: op.status, At: now}
	if op.status == store.StatusDeleted {
		purge := now.Add(s.cfg.RecoveryWindow)
		change.PurgeAfter = &purge
	}
	if _, err := tx.Bulk().SetStatus(ctx, p.change, change); err != nil {
		return BulkResult{}, err
	}
	if op.revokes {
		if _, err := tx.Bulk().RevokeSessions(ctx, p.change, now, "admin."+op.name); err != nil {
			return BulkResult{}, err
		}
	}
	return p.result(), s.recordBulk(ctx, tx, op.name, p, nil)
}

// recordBulk writes a chunk's audit rows (one per user changed, one
// denied row per user the caller may not act on) and its UserBulkAction
// event.
func (s *Service) recordBulk(ctx context.Context, tx store.Repos, name string, p plan, meta map[string]string) error {
	action := "admin.bulk." + name
	entries := make([]store.AuditEntry, 0, len(p.change)+len(p.denied))
	for _, id := range p.change {
		entries = append(entries, s.cfg.Audit.Prepare(ctx, audit.Entry{Action: action, TargetID: id, Metadata: meta}))
	}
	for _, id := range p.denied {
		entries = append(entries, s.cfg.Audit.Prepare(ctx, audit.Entry{Action: action, TargetID: id, Outcome: store.OutcomeDenied,
			Metadata: map[string]string{"code": store.ErrPermissionDenied.Code}}))
	}
	if err := tx.Bulk().RecordAudit(ctx, entries); err != nil {
		return err
	}
	if len(p.change) == 0 {
		return nil
	}
	payload := map[string]any{"action": name, "userIds": p.change, "count": len(p.change)}
	for k, v := range meta {
		payload[k] = v
	}
	return s.cfg.Events.Append(ctx, tx, store.EventUserBulkAction, "", payload)
}

// bulkIDs checks the size of a bulk call and drops repeated ids, keeping
// the first of each.
func bulkIDs(userIDs []string) ([]string, error) {
	switch {
	case len(userIDs) == 0:
		return nil, store.Validation(store.FieldError{Field: "userIds", Message: "must name at least one user"})
	case len(userIDs) > MaxBulkIDs:
		return nil, store.Validation(store.FieldError{Field: "userIds",
			Message: "must name at most " + strconv.Itoa(MaxBulkIDs) + " users"})
	}
	seen := make(map[string]bool, len(userIDs))
	out := make([]string, 0, len(userIDs))
	for _, id := range userIDs {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}
