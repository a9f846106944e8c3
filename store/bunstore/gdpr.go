package bunstore

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type erasure struct{ repos }

// userTables are the tables with rows keyed to a user by user_id, in an
// order that deletes referencing rows first. The foreign keys cascade too,
// but a host's own SQLite handle may run without foreign keys enforced.
var userTables = []string{"refresh_tokens", "sessions", "one_time_tokens", "backup_codes", "two_factor",
	"user_roles", "password_history", "notifications", "avatars", "outbox_events", "known_devices"}

func (r erasure) DeleteUser(ctx context.Context, userID string) error {
	if !validID(userID) {
		return store.ErrUserNotFound
	}
	err := r.write(func() error {
		for _, t := range userTables {
			if _, err := r.db.NewDelete().TableExpr(t).Where("user_id = ?", userID).Exec(ctx); err != nil {
				return err
			}
		}
		if err := r.forgetActor(ctx, userID); err != nil {
			return err
		}
		res, err := r.db.NewDelete().Model((*userModel)(nil)).Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrUserNotFound)
	})
	if err != nil {
		return translate(err, store.ErrUserNotFound)
	}
	r.changed(store.Change{Kind: store.UserChanged, UserID: userID})
	return nil
}

// forgetActor removes the user as actor or impersonator of the events
// still in the outbox about others: the events stay, acted by nobody.
func (r erasure) forgetActor(ctx context.Context, userID string) error {
	for _, col := range []string{"actor_id", "impersonator_id"} {
		if _, err := r.db.NewUpdate().Model((*eventModel)(nil)).Set("? = NULL", bun.Ident(col)).
			Where("? = ?", bun.Ident(col), userID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (r erasure) ForgetIdentifiers(ctx context.Context, ids ...string) (int, error) {
	var lower []string
	for _, id := range ids {
		if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
			lower = append(lower, id)
		}
	}
	if len(lower) == 0 {
		return 0, nil
	}
	var n int
	err := r.write(func() error {
		res, err := r.db.NewDelete().Model((*loginFailuresModel)(nil)).
			Where("lower(identifier) IN (?)", bun.In(lower)).Exec(ctx)
		if err != nil {
			return err
		}
		d, err := rowsAffected(res)
		if err != nil {
			return err
		}
		n += d
		for _, id := range lower {
			// The key's last characters are ":" and the identifier
			// (login:id:..., forgot:addr:...): a comparison, not LIKE, so
			// that % and _ in an address match only themselves.
			l := utf8.RuneCountInString(id)
			res, err := r.db.NewDelete().Model((*rateLimitModel)(nil)).
				Where("length(key) > ? AND substr(key, length(key) - ?) = ?", l, l, ":"+id).Exec(ctx)
			if err != nil {
				return err
			}
			d, err := rowsAffected(res)
			if err != nil {
				return err
			}
			n += d
		}
		return nil
	})
	return n, translate(err, nil)
}

func (r erasure) ClaimPurgeable(ctx context.Context, now time.Time, limit int) ([]string, error) {
	q := r.db.NewSelect().Model((*userModel)(nil)).Column("u.id").
		Where("u.status = ?", string(store.StatusDeleted)).
		Where("u.purge_after IS NOT NULL AND u.purge_after <= ?", utc(now)).
		OrderExpr("u.purge_after, u.id").Limit(limit)
	if r.s.writeMu == nil && r.inTx {
		q = q.For("UPDATE SKIP LOCKED")
	}
	var ids []string
	if err := q.Scan(ctx, &ids); err != nil {
		return nil, translate(err, nil)
	}
	return ids, nil
}

// pseudonymBatch bounds the audit rows read at once to scrub metadata.
const pseudonymBatch = 500

func (r auditLog) Pseudonymize(ctx context.Context, userID, pseudonym string, personal []string) (int, error) {
	if !validID(userID) {
		return 0, nil
	}
	if !validID(pseudonym) {
		return 0, store.Validation(store.FieldError{Field: "pseudonym", Message: "must be a UUID"})
	}
	var n int
	err := r.write(func() error {
		if err := r.scrubMetadata(ctx, userID, personal); err != nil {
			return err
		}
		// One statement, so an entry naming the user twice (acting on
		// itself) counts once.
		q := r.db.NewUpdate().Model((*auditModel)(nil))
		for _, col := range []string{"actor_id", "target_id", "impersonator_id"} {
			q = q.Set(col+" = CASE WHEN "+col+" = ? THEN ? ELSE "+col+" END", userID, pseudonym)
		}
		res, err := q.Set("ip = NULL").Set("user_agent = NULL").
			Where("actor_id = ? OR target_id = ? OR impersonator_id = ?", userID, userID, userID).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, translate(err, nil)
}

// scrubMetadata rewrites the metadata of the user's entries that
// store.ScrubMetadata changes, reading them in batches by id.
func (r auditLog) scrubMetadata(ctx context.Context, userID string, personal []string) error {
	after := ""
	for {
		var ms []auditModel
		q := r.db.NewSelect().Model(&ms).Column("a.id", "a.metadata").
			Where("(a.actor_id = ? OR a.target_id = ? OR a.impersonator_id = ?)", userID, userID, userID).
			Where("a.metadata IS NOT NULL").OrderExpr("a.id").Limit(pseudonymBatch)
		if after != "" {
			q = q.Where("a.id > ?", after)
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		for _, m := range ms {
			md, changed := store.ScrubMetadata(m.Metadata, personal)
			if !changed {
				continue
			}
			m.Metadata = md
			if _, err := r.db.NewUpdate().Model(&m).Column("metadata").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		if len(ms) < pseudonymBatch {
			return nil
		}
		after = ms[len(ms)-1].ID
	}
}
