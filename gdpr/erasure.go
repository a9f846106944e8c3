package gdpr

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/internal/lockkey"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// minPersonalLength is the shortest personal value searched for in audit
// metadata; shorter ones (a two-letter name) would match nearly anything.
const minPersonalLength = 3

// Erase deletes the user and everything keyed to it in one transaction
// and pseudonymises the user's audit entries (see the package comment),
// audited as "gdpr.erase" with the pseudonym as target. The actor is the
// user themself, the host's code (store.SystemActor) or someone holding
// USER_DELETE. It returns ErrUserNotFound for an unknown user and
// ErrLastAdmin for the last administrator. The files hook, if any, runs
// after the commit.
func (s *Service) Erase(ctx context.Context, userID string) error {
	if err := s.allowed(ctx, userID, rbac.UserDelete); err != nil {
		return err
	}
	var avatars []string
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		var err error
		avatars, err = s.erase(ctx, tx, userID, "request", nil)
		return err
	})
	if err != nil {
		return err
	}
	s.eraseFiles(ctx, userID, avatars)
	return nil
}

func (s *Service) eraseFiles(ctx context.Context, userID string, avatars []string) {
	if s.cfg.Files == nil {
		return
	}
	if err := s.cfg.Files.EraseUserFiles(ctx, userID, avatars); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "erase user files failed", "user_id", userID, "err", err)
	}
}

// erase does Erase's work in tx. check, when set, sees the locked row
// first and may refuse. It returns the ids of the avatars it deleted.
func (s *Service) erase(ctx context.Context, tx store.Repos, userID, trigger string, check func(*store.User) error) ([]string, error) {
	var u store.User
	// Update with no change locks the row until the transaction ends.
	if _, err := tx.Users().Update(ctx, userID, func(cur *store.User) error {
		if check != nil {
			if err := check(cur); err != nil {
				return err
			}
		}
		u = *cur
		return nil
	}); err != nil {
		return nil, err
	}
	held, err := tx.Roles().RolesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, r := range held {
		// Only an admin's erasure needs the admin role's lock; taking it
		// for everyone would serialise concurrent purges.
		if r.Name == store.RoleAdmin {
			if err := s.cfg.RBAC.GuardLastAdmin(ctx, tx, userID); err != nil {
				return nil, err
			}
		}
	}
	var avatars []string
	switch a, err := tx.Avatars().ByUser(ctx, userID); {
	case err == nil:
		avatars = append(avatars, a.ID)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if err := tx.Erasure().DeleteUser(ctx, userID); err != nil {
		return nil, err
	}
	// After the deletion, which removes the user's earlier outbox rows:
	// the host learns of the erasure, and this row, naming the user by id
	// alone, goes once delivered.
	if err := s.events.Emit(ctx, tx, userID, events.UserDeleted{Permanent: true}); err != nil {
		return nil, err
	}
	if _, err := tx.Erasure().ForgetIdentifiers(ctx, u.Email, u.PendingEmail, u.Username, lockkey.MFA(u.ID)); err != nil {
		return nil, err
	}
	pseudonym := uuid.NewString()
	if _, err := tx.Audit().Pseudonymize(ctx, userID, pseudonym, personalValues(&u)); err != nil {
		return nil, err
	}
	return avatars, s.cfg.Audit.Record(recordContext(ctx, userID, pseudonym), tx,
		audit.Entry{Action: "gdpr.erase", TargetID: pseudonym, Metadata: map[string]string{"trigger": trigger}})
}

// recordContext is ctx for the erasure's own audit entry: a user erasing
// themself is named by the pseudonym, and their IP and user agent are not
// recorded.
func recordContext(ctx context.Context, userID, pseudonym string) context.Context {
	a, _ := store.ActorFromContext(ctx)
	if a.UserID != userID {
		return ctx
	}
	a.UserID, a.SessionID = pseudonym, ""
	ctx = store.NewContextWithActor(ctx, a)
	return store.NewContextWithRequest(ctx, store.Request{ID: store.RequestFromContext(ctx).ID})
}

// personalValues are the texts of u that audit metadata must not keep.
func personalValues(u *store.User) []string {
	var out []string
	for _, v := range []string{u.Email, u.PendingEmail, u.Username, u.FirstName, u.LastName,
		u.DisplayName, u.PhoneNumber, u.FirstName + " " + u.LastName} {
		if len([]rune(v)) >= minPersonalLength {
			out = append(out, v)
		}
	}
	return out
}
