package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type signingKeyModel struct {
	bun.BaseModel `bun:"table:signing_keys,alias:k"`

	ID         string     `bun:"id,pk"`
	Algorithm  string     `bun:"algorithm"`
	PrivateKey []byte     `bun:"private_key"`
	CreatedAt  time.Time  `bun:"created_at"`
	RetireAt   *time.Time `bun:"retire_at"`
}

type signingKeys struct{ repos }

func (r signingKeys) Create(ctx context.Context, k *store.SigningKey) error {
	m := &signingKeyModel{ID: k.ID, Algorithm: k.Algorithm, PrivateKey: k.PrivateKey,
		CreatedAt: utc(k.CreatedAt), RetireAt: utcPtr(k.RetireAt)}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	return translate(err, nil)
}

func (r signingKeys) List(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	var ms []signingKeyModel
	err := r.db.NewSelect().Model(&ms).
		Where("retire_at IS NULL OR retire_at > ?", utc(now)).
		OrderExpr("created_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, translate(err, nil)
	}
	out := make([]store.SigningKey, len(ms))
	for i, m := range ms {
		out[i] = store.SigningKey{ID: m.ID, Algorithm: m.Algorithm, PrivateKey: m.PrivateKey,
			CreatedAt: m.CreatedAt, RetireAt: m.RetireAt}
	}
	return out, nil
}

func (r signingKeys) Retire(ctx context.Context, id string, at time.Time) error {
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*signingKeyModel)(nil)).
			Set("retire_at = ?", utc(at)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrNotFound)
	})
	return translate(err, store.ErrNotFound)
}

func (r signingKeys) SetPrivateKey(ctx context.Context, id string, privateKey []byte) error {
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*signingKeyModel)(nil)).
			Set("private_key = ?", privateKey).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrNotFound)
	})
	return translate(err, store.ErrNotFound)
}
