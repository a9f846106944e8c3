package bunstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type refreshTokenModel struct {
	bun.BaseModel `bun:"table:refresh_tokens,alias:rt"`

	ID        string     `bun:"id,pk"`
	SessionID string     `bun:"session_id"`
	UserID    string     `bun:"user_id"`
	Hash      []byte     `bun:"hash"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

type refreshTokens struct{ repos }

func (r refreshTokens) Create(ctx context.Context, t *store.RefreshToken) error {
	if t.ID == "" {
		t.ID = newID()
	}
	m := &refreshTokenModel{
		ID: t.ID, SessionID: t.SessionID, UserID: t.UserID, Hash: t.Hash,
		CreatedAt: utc(t.CreatedAt), ExpiresAt: utc(t.ExpiresAt), UsedAt: utcPtr(t.UsedAt),
	}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	if foreignKeyViolation(err) || invalidInput(err) {
		return store.ErrSessionNotFound.Wrap(err)
	}
	return translate(err, nil)
}

func (r refreshTokens) ByHash(ctx context.Context, hash []byte) (*store.RefreshToken, error) {
	m := new(refreshTokenModel)
	if err := r.db.NewSelect().Model(m).Where("hash = ?", hash).Scan(ctx); err != nil {
		return nil, translate(err, store.ErrInvalidRefreshToken)
	}
	return &store.RefreshToken{
		ID: m.ID, SessionID: m.SessionID, UserID: m.UserID, Hash: m.Hash,
		CreatedAt: m.CreatedAt, ExpiresAt: m.ExpiresAt, UsedAt: m.UsedAt,
	}, nil
}

func (r refreshTokens) MarkUsed(ctx context.Context, id string, at time.Time) error {
	err := r.write(func() error {
		// The used_at IS NULL guard makes the update the arbiter among
		// parallel refreshes: only one of them changes the row.
		res, err := r.db.NewUpdate().Model((*refreshTokenModel)(nil)).
			Set("used_at = ?", utc(at)).Where("id = ? AND used_at IS NULL", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrInvalidRefreshToken)
	})
	return translate(err, store.ErrInvalidRefreshToken)
}

type oneTimeTokenModel struct {
	bun.BaseModel `bun:"table:one_time_tokens,alias:ot"`

	ID        string     `bun:"id,pk"`
	UserID    string     `bun:"user_id"`
	Purpose   string     `bun:"purpose"`
	Hash      []byte     `bun:"hash"`
	Data      string     `bun:"data,nullzero"`
	Attempts  int        `bun:"attempts"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

func (m *oneTimeTokenModel) token() *store.OneTimeToken {
	return &store.OneTimeToken{
		ID: m.ID, UserID: m.UserID, Purpose: store.TokenPurpose(m.Purpose), Hash: m.Hash,
		Data: m.Data, Attempts: m.Attempts, CreatedAt: m.CreatedAt, ExpiresAt: m.ExpiresAt,
		UsedAt: m.UsedAt,
	}
}

type oneTimeTokens struct{ repos }

func (r oneTimeTokens) Create(ctx context.Context, t *store.OneTimeToken) error {
	if t.ID == "" {
		t.ID = newID()
	}
	m := &oneTimeTokenModel{
		ID: t.ID, UserID: t.UserID, Purpose: string(t.Purpose), Hash: t.Hash, Data: t.Data,
		Attempts: t.Attempts, CreatedAt: utc(t.CreatedAt), ExpiresAt: utc(t.ExpiresAt),
		UsedAt: utcPtr(t.UsedAt),
	}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	if foreignKeyViolation(err) || invalidInput(err) {
		return store.ErrUserNotFound.Wrap(err)
	}
	return translate(err, nil)
}

func (r oneTimeTokens) ByHash(ctx context.Context, purpose store.TokenPurpose, hash []byte) (*store.OneTimeToken, error) {
	m := new(oneTimeTokenModel)
	err := r.db.NewSelect().Model(m).Where("purpose = ? AND hash = ?", string(purpose), hash).Scan(ctx)
	if err != nil {
		return nil, translate(err, store.ErrInvalidToken)
	}
	return m.token(), nil
}

func (r oneTimeTokens) Latest(ctx context.Context, userID string, purpose store.TokenPurpose) (*store.OneTimeToken, error) {
	m := new(oneTimeTokenModel)
	err := r.db.NewSelect().Model(m).
		Where("user_id = ? AND purpose = ? AND used_at IS NULL", userID, string(purpose)).
		OrderExpr("created_at DESC, id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, translate(err, store.ErrInvalidToken)
	}
	return m.token(), nil
}

func (r oneTimeTokens) Use(ctx context.Context, id string, at time.Time) error {
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*oneTimeTokenModel)(nil)).
			Set("used_at = ?", utc(at)).
			Where("id = ? AND used_at IS NULL AND expires_at > ?", id, utc(at)).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrInvalidToken)
	})
	return translate(err, store.ErrInvalidToken)
}

func (r oneTimeTokens) AddAttempt(ctx context.Context, id string, max int, at time.Time) (int, error) {
	var attempts int
	err := r.write(func() error {
		return r.db.NewUpdate().Model((*oneTimeTokenModel)(nil)).
			Set("attempts = attempts + 1").
			Set("used_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE used_at END", max, utc(at)).
			Where("id = ? AND used_at IS NULL", id).
			Returning("attempts").Scan(ctx, &attempts)
	})
	if err != nil {
		return 0, translate(err, store.ErrInvalidToken)
	}
	return attempts, nil
}

func (r oneTimeTokens) SpendAll(ctx context.Context, userID string, purpose store.TokenPurpose, at time.Time) (int, error) {
	var n int
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*oneTimeTokenModel)(nil)).
			Set("used_at = ?", utc(at)).
			Where("user_id = ? AND purpose = ? AND used_at IS NULL", userID, string(purpose)).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	if invalidInput(err) {
		return 0, nil
	}
	return n, translate(err, nil)
}

func (r oneTimeTokens) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int
	err := r.write(func() error {
		ids := r.db.NewSelect().Model((*oneTimeTokenModel)(nil)).Column("id").
			Where("expires_at < ? OR used_at < ?", utc(cutoff), utc(cutoff)).
			OrderExpr("expires_at").Limit(limit)
		res, err := r.db.NewDelete().Model((*oneTimeTokenModel)(nil)).Where("id IN (?)", ids).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, translate(err, nil)
}
