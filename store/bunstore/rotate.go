package bunstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

// rotateSQL is the hot path of every refresh on PostgreSQL, in one
// statement and one round trip: "old" finds the token by its hash within
// the session; "spent" spends it when unspent and unexpired (its
// used_at IS NULL guard is re-checked on the locked row, so of parallel
// rotations exactly one spends it); only then do "token" and "entry"
// insert the new token and the audit row. The final row reports the token
// as found and whether this statement spent it, so that the caller tells a
// reuse from a lost race without asking again. No explicit transaction is
// needed: a statement is atomic.
const rotateSQL = `WITH old AS (
		SELECT id, user_id, created_at, expires_at, used_at FROM refresh_tokens WHERE hash = ? AND session_id = ?
	), spent AS (
		UPDATE refresh_tokens SET used_at = ? WHERE id = (SELECT id FROM old) AND used_at IS NULL AND expires_at > ? RETURNING id
	), token AS (
		INSERT INTO refresh_tokens (id, session_id, user_id, hash, created_at, expires_at)
		SELECT ?, ?, ?, ?, ?, ? FROM spent RETURNING id
	), entry AS (
		INSERT INTO audit_log (id, actor_id, impersonator_id, action, target_id, outcome, ip, user_agent, request_id, metadata, created_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM spent RETURNING id
	)
	SELECT id, user_id, created_at, expires_at, used_at, (SELECT count(*) FROM spent) FROM old`

// Rotate implements store.RefreshTokenStore: one statement on
// PostgreSQL. SQLite has no data-modifying CTEs; there the steps run in a
// transaction, which the writer lock makes as cheap.
func (r refreshTokens) Rotate(ctx context.Context, hash []byte, sessionID string, at time.Time, next *store.RefreshToken, e *store.AuditEntry) (*store.RefreshToken, bool, error) {
	if next.ID == "" {
		next.ID = newID()
	}
	if e.ID == "" {
		e.ID = newID()
	}
	if !validID(sessionID) {
		return nil, false, store.ErrInvalidRefreshToken
	}
	if r.s.writeMu != nil {
		return r.rotateInTx(ctx, hash, sessionID, at, next, e)
	}
	var meta any
	if e.Metadata != nil {
		b, err := json.Marshal(e.Metadata)
		if err != nil {
			return nil, false, err
		}
		meta = string(b)
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	old := &store.RefreshToken{SessionID: sessionID, Hash: hash}
	var usedAt sql.NullTime
	var spent int
	err := r.db.NewRaw(rotateSQL,
		hash, sessionID, utc(at), utc(at),
		next.ID, next.SessionID, next.UserID, next.Hash, utc(next.CreatedAt), utc(next.ExpiresAt),
		e.ID, null(e.ActorID), null(e.ImpersonatorID), e.Action, null(e.TargetID), string(e.Outcome),
		null(e.IP), null(e.UserAgent), null(e.RequestID), meta, utc(e.CreatedAt),
	).Scan(ctx, &old.ID, &old.UserID, &old.CreatedAt, &old.ExpiresAt, &usedAt, &spent)
	if err != nil {
		if invalidInput(err) || foreignKeyViolation(err) {
			return nil, false, store.ErrInvalidRefreshToken.Wrap(err)
		}
		return nil, false, translate(err, store.ErrInvalidRefreshToken)
	}
	if usedAt.Valid {
		old.UsedAt = &usedAt.Time
	}
	return old, spent == 1, nil
}

func (r refreshTokens) rotateInTx(ctx context.Context, hash []byte, sessionID string, at time.Time, next *store.RefreshToken, e *store.AuditEntry) (*store.RefreshToken, bool, error) {
	var old *store.RefreshToken
	var rotated bool
	run := func(tx repos) error {
		var err error
		if old, err = (refreshTokens{tx}).ByHash(ctx, hash); err != nil {
			return err
		}
		if old.SessionID != sessionID {
			old = nil
			return store.ErrInvalidRefreshToken
		}
		if old.UsedAt != nil || !at.Before(old.ExpiresAt) {
			return nil
		}
		if err := (refreshTokens{tx}).MarkUsed(ctx, old.ID, at); err != nil {
			return err
		}
		if err := (refreshTokens{tx}).Create(ctx, next); err != nil {
			return err
		}
		rotated = true
		return (auditLog{tx}).Record(ctx, e)
	}
	if r.inTx {
		err := run(r.repos)
		return old, rotated, err
	}
	r.s.writeMu.Lock()
	defer r.s.writeMu.Unlock()
	err := r.s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return run(repos{s: r.s, db: tx, inTx: true})
	})
	var de *store.Error
	if err != nil && !errors.As(err, &de) {
		err = translate(err, nil)
	}
	if err != nil {
		return nil, false, err
	}
	return old, rotated, nil
}
