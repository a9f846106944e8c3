package rbac

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// Require lets the actor in ctx run an operation that needs p: it returns
// the actor when they hold it (SystemActor always does). A context without
// an actor is ErrUnauthenticated; an actor without p gets
// ErrPermissionDenied, audited as denied under action and targetID (the
// error is marked recorded, so the HTTP layer does not audit it twice).
// Services other than rbac check their permissions through it, so that a
// Go caller meets the same rule as an HTTP one.
func (s *Service) Require(ctx context.Context, p Permission, action, targetID string) (store.Actor, error) {
	actor, err := actorOf(ctx)
	if err != nil {
		return store.Actor{}, err
	}
	missing, err := s.authorize(ctx, s.st, p)
	if err != nil {
		return store.Actor{}, s.refused(ctx, action, targetID, missing, nil, err)
	}
	return actor, nil
}

// Permissions returns the set of permissions the user holds through any
// of their roles, read through r (a transaction's Repos, or the Store).
func (s *Service) Permissions(ctx context.Context, r store.Repos, userID string) (map[string]bool, error) {
	return s.permissionsOf(ctx, r, userID)
}
