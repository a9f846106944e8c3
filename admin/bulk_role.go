package admin

import (
	"context"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// BulkAssignRole gives the role to the users as the actor in ctx, who
// needs ROLE_ASSIGN and every permission the role grants: otherwise the
// whole call is ErrPermissionDenied, audited as denied. An unknown role
// is ErrRoleNotFound. Users who already hold the role succeed unchanged;
// the role may go to users of any status (a soft-deleted user keeps it
// for a recovery). Giving a role takes nothing from its holder, so unlike
// the status actions it is not refused for users holding permissions the
// caller lacks.
func (s *Service) BulkAssignRole(ctx context.Context, userIDs []string, roleID string) (BulkResult, error) {
	const action = "admin.bulk.assign_role"
	actor, err := s.cfg.RBAC.Require(ctx, rbac.RoleAssign, action, "")
	if err != nil {
		return BulkResult{}, err
	}
	ids, err := bulkIDs(userIDs)
	if err != nil {
		return BulkResult{}, err
	}
	role, err := s.st.Roles().ByID(ctx, roleID)
	if err != nil {
		return BulkResult{}, err
	}
	g, err := s.newGuard(ctx, actor)
	if err != nil {
		return BulkResult{}, err
	}
	if missing := g.lacks([]string{role.ID}); missing != "" {
		return BulkResult{}, s.deniedRole(ctx, action, role, missing)
	}
	meta := map[string]string{"role_id": role.ID, "role": role.Name}
	var res BulkResult
	for start := 0; start < len(ids); start += BulkChunk {
		chunk := ids[start:min(start+BulkChunk, len(ids))]
		var part BulkResult
		err := s.st.InTx(ctx, func(tx store.Repos) error {
			targets, err := tx.Bulk().Targets(ctx, chunk)
			if err != nil {
				return err
			}
			p := rolePlan(chunk, targets, role.ID)
			if _, err := tx.Bulk().AssignRole(ctx, p.change, role.ID, s.cfg.Now()); err != nil {
				return err
			}
			part = p.result()
			return s.recordBulk(ctx, tx, "assign_role", p, meta)
		})
		if err != nil {
			return res, err
		}
		res.Succeeded += part.Succeeded
		res.Failed = append(res.Failed, part.Failed...)
	}
	return res, nil
}

// rolePlan gives the role to every user of ids who exists and lacks it.
func rolePlan(ids []string, targets []store.BulkTarget, roleID string) plan {
	holds := make(map[string]bool, len(targets))
	for _, t := range targets {
		holds[t.ID] = false
		for _, id := range t.RoleIDs {
			holds[t.ID] = holds[t.ID] || id == roleID
		}
	}
	var p plan
	for _, id := range ids {
		held, ok := holds[id]
		switch {
		case !ok:
			p.failed = append(p.failed, BulkFailure{ID: id, Code: store.ErrUserNotFound.Code})
		case held:
			p.done++
		default:
			p.change = append(p.change, id)
		}
	}
	return p
}

// deniedRole audits the refusal of a role the caller may not give, and
// marks the error recorded so that the HTTP layer does not audit it again.
func (s *Service) deniedRole(ctx context.Context, action string, role *store.Role, missing string) error {
	err := store.ErrPermissionDenied.WithMessage("the role grants " + missing + ", which you do not hold")
	if rerr := s.cfg.Audit.RecordNow(ctx, audit.Entry{Action: action, Outcome: store.OutcomeDenied,
		Metadata: map[string]string{"code": err.Code, "permission": missing, "role_id": role.ID}}); rerr != nil {
		return err
	}
	return audit.MarkRecorded(err)
}
