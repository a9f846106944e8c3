package admin

import (
	"context"
	"sort"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// act runs one admin operation on the user userID: the actor must hold p
// (rbac.Require audits a refusal), then inside one transaction the user
// must exist (ErrUserNotFound) and hold no permission the actor lacks
// (ErrPermissionDenied, audited as denied under action), and fn makes the
// change with the actor. SystemActor passes every check.
func (s *Service) act(ctx context.Context, p rbac.Permission, action, userID string,
	fn func(tx store.Repos, actor store.Actor) error) error {
	actor, err := s.cfg.RBAC.Require(ctx, p, action, userID)
	if err != nil {
		return err
	}
	return s.actAs(ctx, actor, action, userID, fn)
}

// actAs is act for an actor whose permission was checked.
func (s *Service) actAs(ctx context.Context, actor store.Actor, action, userID string,
	fn func(tx store.Repos, actor store.Actor) error) error {
	var denied string
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		denied = ""
		if _, err := tx.Users().ByID(ctx, userID); err != nil {
			return err
		}
		var err error
		if denied, err = s.cover(ctx, tx, actor, userID); err != nil {
			return err
		}
		return fn(tx, actor)
	})
	return s.refused(ctx, action, userID, denied, err)
}

// cover refuses an actor who lacks one of the permissions userID holds:
// nobody locks, edits, deletes or impersonates someone more powerful than
// themselves. It returns the first such permission, for the audit row.
func (s *Service) cover(ctx context.Context, tx store.Repos, actor store.Actor, userID string) (string, error) {
	if actor.System {
		return "", nil
	}
	mine, err := s.cfg.RBAC.Permissions(ctx, tx, actor.UserID)
	if err != nil {
		return "", err
	}
	theirs, err := s.cfg.RBAC.Permissions(ctx, tx, userID)
	if err != nil {
		return "", err
	}
	var lacking []string
	for p := range theirs {
		if !mine[p] {
			lacking = append(lacking, p)
		}
	}
	if len(lacking) == 0 {
		return "", nil
	}
	sort.Strings(lacking)
	return lacking[0], store.ErrPermissionDenied.WithMessage("the user holds " + lacking[0] + ", which you do not hold")
}

// grantable refuses roles that grant a permission the actor lacks, and
// returns that permission for the audit row.
func (s *Service) grantable(ctx context.Context, tx store.Repos, actor store.Actor, roles []store.Role) (string, error) {
	if actor.System {
		return "", nil
	}
	mine, err := s.cfg.RBAC.Permissions(ctx, tx, actor.UserID)
	if err != nil {
		return "", err
	}
	for _, r := range roles {
		for _, p := range r.Permissions {
			if !mine[p] {
				return p, store.ErrPermissionDenied.WithMessage("the role " + r.Name + " grants " + p + ", which you do not hold")
			}
		}
	}
	return "", nil
}

// refused writes the audit row of a refusal found in a transaction that
// rolled back, and marks err so that the HTTP layer does not audit it a
// second time. Other errors pass through.
func (s *Service) refused(ctx context.Context, action, targetID, permission string, err error) error {
	if err == nil || permission == "" || audit.Recorded(err) {
		return err
	}
	md := map[string]string{"code": store.AsError(err).Code, "permission": permission}
	if aerr := s.cfg.Audit.RecordNow(ctx, audit.Entry{Action: action, TargetID: targetID, Outcome: store.OutcomeDenied, Metadata: md}); aerr != nil {
		s.cfg.Logger.ErrorContext(ctx, "audit refusal failed", "action", action, "err", aerr)
		return err
	}
	return audit.MarkRecorded(err)
}

// record writes the audit row of a change and its domain event in tx.
func (s *Service) record(ctx context.Context, tx store.Repos, action, userID string, md map[string]string,
	event store.EventName, payload map[string]any) error {
	if err := s.audit(ctx, tx, action, userID, md); err != nil {
		return err
	}
	return s.cfg.Events.Append(ctx, tx, event, userID, payload)
}

// audit writes the audit row of a change in tx, the actor from ctx.
func (s *Service) audit(ctx context.Context, tx store.Repos, action, userID string, md map[string]string) error {
	return s.cfg.Audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: userID, Metadata: md})
}
