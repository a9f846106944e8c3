package admin

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// guard holds what a bulk call decides each user by: the caller's
// permissions and every role's.
type guard struct {
	system      bool
	held        map[string]bool
	rolePerms   map[string][]string
	adminRoleID string
}

func (s *Service) newGuard(ctx context.Context, actor store.Actor) (*guard, error) {
	roles, err := s.st.Roles().List(ctx)
	if err != nil {
		return nil, err
	}
	g := &guard{system: actor.System, rolePerms: make(map[string][]string, len(roles))}
	for _, r := range roles {
		g.rolePerms[r.ID] = r.Permissions
		if r.Name == store.RoleAdmin {
			g.adminRoleID = r.ID
		}
	}
	if !actor.System {
		if g.held, err = s.cfg.RBAC.Permissions(ctx, s.st, actor.UserID); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// lacks returns a permission that one of roleIDs grants and the caller
// lacks, or "".
func (g *guard) lacks(roleIDs []string) string {
	if g.system {
		return ""
	}
	for _, id := range roleIDs {
		for _, p := range g.rolePerms[id] {
			if !g.held[p] {
				return p
			}
		}
	}
	return ""
}

// plan is what a chunk does with each of its users, in request order.
type plan struct {
	change []string
	done   int
	denied []string
	failed []BulkFailure
	// activeAdmins are the users of change who are active administrators.
	activeAdmins []string
}

func (p plan) result() BulkResult {
	return BulkResult{Succeeded: len(p.change) + p.done, Failed: p.failed}
}

// plan sorts ids into changed, already done and failed: unknown users,
// users holding a permission the caller lacks, and refusals by from.
func (g *guard) plan(ids []string, targets []store.BulkTarget, from func(store.Status) (bool, string)) plan {
	byID := make(map[string]store.BulkTarget, len(targets))
	for _, t := range targets {
		byID[t.ID] = t
	}
	var p plan
	for _, id := range ids {
		t, ok := byID[id]
		if !ok {
			p.failed = append(p.failed, BulkFailure{ID: id, Code: store.ErrUserNotFound.Code})
			continue
		}
		if g.lacks(t.RoleIDs) != "" {
			p.denied = append(p.denied, id)
			p.failed = append(p.failed, BulkFailure{ID: id, Code: store.ErrPermissionDenied.Code})
			continue
		}
		change, code := from(t.Status)
		switch {
		case code != "":
			p.failed = append(p.failed, BulkFailure{ID: id, Code: code})
		case !change:
			p.done++
		default:
			p.change = append(p.change, id)
			if t.Status == store.StatusActive && g.holdsAdmin(t.RoleIDs) {
				p.activeAdmins = append(p.activeAdmins, id)
			}
		}
	}
	return p
}

func (g *guard) holdsAdmin(roleIDs []string) bool {
	for _, id := range roleIDs {
		if id == g.adminRoleID {
			return true
		}
	}
	return false
}

// keepLastAdmin takes the first active administrator out of p when p
// would otherwise leave no active administrator: that one fails with
// LAST_ADMIN. The caller holds the admin role's lock, so two bulk calls
// cannot both pass.
func (g *guard) keepLastAdmin(ctx context.Context, tx store.Repos, p *plan) error {
	if len(p.activeAdmins) == 0 {
		return nil
	}
	others, err := tx.Bulk().CountActiveHolders(ctx, g.adminRoleID, p.activeAdmins)
	if err != nil || others > 0 {
		return err
	}
	kept := p.activeAdmins[0]
	p.failed = append(p.failed, BulkFailure{ID: kept, Code: store.ErrLastAdmin.Code})
	for i, id := range p.change {
		if id == kept {
			p.change = append(p.change[:i:i], p.change[i+1:]...)
			break
		}
	}
	return nil
}
