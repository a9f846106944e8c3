package gdpr

import (
	"context"
	"errors"

	"github.com/usermgmt/usermgmt/store"
)

// errNotDue refuses to purge an account recovered or not yet due since it
// was claimed.
var errNotDue = errors.New("gdpr: account not due for purge")

// Purge erases every soft-deleted account whose PurgeAfter has passed, in
// transactions of Config.PurgeBatch accounts, and returns how many it
// erased. It is safe to run on many instances at once: each transaction
// claims its accounts with FOR UPDATE SKIP LOCKED, so every account is
// erased exactly once and none is skipped; a crash rolls back the batch in
// hand, which the next run claims again. An account that cannot be erased
// (the last administrator) is logged and left.
func (s *Service) Purge(ctx context.Context) (int, error) {
	ctx = store.NewContextWithActor(ctx, store.SystemActor)
	total := 0
	for ctx.Err() == nil {
		now := s.cfg.Now()
		var claimed, erased int
		var files []func()
		err := s.st.InTx(ctx, func(tx store.Repos) error {
			claimed, erased, files = 0, 0, nil
			ids, err := tx.Erasure().ClaimPurgeable(ctx, now, s.cfg.PurgeBatch)
			if err != nil {
				return err
			}
			claimed = len(ids)
			for _, id := range ids {
				avatars, err := s.erase(ctx, tx, id, "purge", func(u *store.User) error {
					if u.Status != store.StatusDeleted || u.PurgeAfter == nil || u.PurgeAfter.After(now) {
						return errNotDue
					}
					return nil
				})
				switch {
				case errors.Is(err, errNotDue), errors.Is(err, store.ErrUserNotFound):
					continue
				case errors.Is(err, store.ErrLastAdmin):
					s.cfg.Logger.WarnContext(ctx, "purge skipped the last administrator", "user_id", id)
					continue
				case err != nil:
					return err
				}
				erased++
				files = append(files, func() { s.eraseFiles(ctx, id, avatars) })
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		for _, f := range files {
			f()
		}
		total += erased
		if claimed < s.cfg.PurgeBatch || erased == 0 {
			break
		}
	}
	return total, nil
}
