package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type twoFactorModel struct {
	bun.BaseModel `bun:"table:two_factor,alias:tf"`

	UserID    string    `bun:"user_id,pk"`
	Method    string    `bun:"method"`
	Secret    []byte    `bun:"secret"`
	Enabled   bool      `bun:"enabled"`
	LastStep  int64     `bun:"last_step"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

type backupCodeModel struct {
	bun.BaseModel `bun:"table:backup_codes,alias:bc"`

	ID        string     `bun:"id,pk"`
	UserID    string     `bun:"user_id"`
	Hash      []byte     `bun:"hash"`
	CreatedAt time.Time  `bun:"created_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

type twoFactor struct{ repos }

func (r twoFactor) Get(ctx context.Context, userID string) (*store.TwoFactor, error) {
	m := new(twoFactorModel)
	if err := r.db.NewSelect().Model(m).Where("user_id = ?", userID).Scan(ctx); err != nil {
		return nil, translate(err, store.ErrNotFound)
	}
	return &store.TwoFactor{UserID: m.UserID, Method: store.TwoFactorMethod(m.Method), Secret: m.Secret,
		Enabled: m.Enabled, LastStep: m.LastStep, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}, nil
}

func (r twoFactor) Put(ctx context.Context, t *store.TwoFactor) error {
	m := &twoFactorModel{UserID: t.UserID, Method: string(t.Method), Secret: t.Secret, Enabled: t.Enabled,
		LastStep: t.LastStep, CreatedAt: utc(t.CreatedAt), UpdatedAt: utc(t.UpdatedAt)}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).On("CONFLICT (user_id) DO UPDATE").
			Set("method = EXCLUDED.method, secret = EXCLUDED.secret, enabled = EXCLUDED.enabled").
			Set("last_step = EXCLUDED.last_step, updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
	if foreignKeyViolation(err) {
		return store.ErrUserNotFound.Wrap(err)
	}
	return translate(err, store.ErrUserNotFound)
}

func (r twoFactor) Delete(ctx context.Context, userID string) error {
	err := r.write(func() error {
		if _, err := r.db.NewDelete().Model((*backupCodeModel)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		_, err := r.db.NewDelete().Model((*twoFactorModel)(nil)).Where("user_id = ?", userID).Exec(ctx)
		return err
	})
	if invalidInput(err) {
		return nil
	}
	return translate(err, nil)
}

func (r twoFactor) AdvanceStep(ctx context.Context, userID string, step int64) (bool, error) {
	var ok bool
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*twoFactorModel)(nil)).
			Set("last_step = ?", step).Where("user_id = ? AND last_step < ?", userID, step).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return ok, translate(err, store.ErrNotFound)
}

func (r twoFactor) ReplaceBackupCodes(ctx context.Context, userID string, codes []store.BackupCode) error {
	ms := make([]backupCodeModel, len(codes))
	for i, c := range codes {
		id := c.ID
		if id == "" {
			id = newID()
		}
		ms[i] = backupCodeModel{ID: id, UserID: userID, Hash: c.Hash, CreatedAt: utc(c.CreatedAt)}
	}
	err := r.write(func() error {
		return r.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			// Concurrent replacements would otherwise each delete only the
			// codes they can see and leave both new sets valid.
			if err := r.lockUser(ctx, tx, userID); err != nil {
				return err
			}
			if _, err := tx.NewDelete().Model((*backupCodeModel)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
				return err
			}
			if len(ms) == 0 {
				return nil
			}
			_, err := tx.NewInsert().Model(&ms).Exec(ctx)
			return err
		})
	})
	if foreignKeyViolation(err) {
		return store.ErrUserNotFound.Wrap(err)
	}
	return translate(err, store.ErrUserNotFound)
}

func (r twoFactor) UseBackupCode(ctx context.Context, userID string, hash []byte, at time.Time) error {
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*backupCodeModel)(nil)).Set("used_at = ?", utc(at)).
			Where("user_id = ? AND hash = ? AND used_at IS NULL", userID, hash).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrInvalidCode)
	})
	return translate(err, store.ErrInvalidCode)
}

func (r twoFactor) BackupCodesRemaining(ctx context.Context, userID string) (int, error) {
	n, err := r.db.NewSelect().Model((*backupCodeModel)(nil)).
		Where("user_id = ? AND used_at IS NULL", userID).Count(ctx)
	if invalidInput(err) {
		return 0, nil
	}
	return n, translate(err, nil)
}
