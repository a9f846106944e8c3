package bunstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type avatarModel struct {
	bun.BaseModel `bun:"table:avatars,alias:av"`

	ID          string    `bun:"id,pk"`
	UserID      string    `bun:"user_id"`
	ContentType string    `bun:"content_type"`
	Size        int64     `bun:"size"`
	Width       int       `bun:"width"`
	Height      int       `bun:"height"`
	CreatedAt   time.Time `bun:"created_at"`
}

type avatars struct{ repos }

func (r avatars) Put(ctx context.Context, a *store.Avatar) (string, error) {
	if a.ID == "" {
		a.ID = newID()
	}
	m := &avatarModel{ID: a.ID, UserID: a.UserID, ContentType: a.ContentType, Size: a.Size,
		Width: a.Width, Height: a.Height, CreatedAt: utc(a.CreatedAt)}
	var old string
	err := r.write(func() error {
		return r.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			// Concurrent Puts would otherwise both find nothing to delete
			// and one would fail on avatars_user_key.
			if err := r.lockUser(ctx, tx, a.UserID); err != nil {
				return err
			}
			var prev avatarModel
			err := tx.NewDelete().Model(&prev).Where("user_id = ?", a.UserID).Returning("id").Scan(ctx, &old)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			_, err = tx.NewInsert().Model(m).Exec(ctx)
			return err
		})
	})
	if foreignKeyViolation(err) || invalidInput(err) {
		return "", store.ErrUserNotFound.Wrap(err)
	}
	return old, translate(err, nil)
}

func (r avatars) ByUser(ctx context.Context, userID string) (*store.Avatar, error) {
	m := new(avatarModel)
	if err := r.db.NewSelect().Model(m).Where("user_id = ?", userID).Scan(ctx); err != nil {
		return nil, translate(err, store.ErrNotFound)
	}
	return &store.Avatar{ID: m.ID, UserID: m.UserID, ContentType: m.ContentType, Size: m.Size,
		Width: m.Width, Height: m.Height, CreatedAt: m.CreatedAt}, nil
}

func (r avatars) Delete(ctx context.Context, userID string) error {
	err := r.write(func() error {
		res, err := r.db.NewDelete().Model((*avatarModel)(nil)).Where("user_id = ?", userID).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrNotFound)
	})
	return translate(err, store.ErrNotFound)
}
