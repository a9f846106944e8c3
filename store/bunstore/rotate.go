package bunstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

// Rotate is the hot path of every refresh. On PostgreSQL it is one
// statement: data-modifying CTEs spend the old token and, only when that
// succeeded, insert the new token and the audit row, so a rotation costs a
// single round trip and needs no explicit transaction. SQLite has no such
// CTEs; there the three statements run in a transaction, which the writer
// lock makes as cheap.
func (r refreshTokens) Rotate(ctx context.Context, oldID string, at time.Time, next *store.RefreshToken, e *store.AuditEntry) error {
	if next.ID == "" {
		next.ID = newID()
	}
	if e.ID == "" {
		e.ID = newID()
	}
	if r.s.writeMu != nil {
		return r.rotateInTx(ctx, oldID, at, next, e)
	}
	var meta any
	if e.Metadata != nil {
		b, err := json.Marshal(e.Metadata)
		if err != nil {
			return err
		}
		meta = string(b)
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var spent int
	err := r.db.NewRaw(`WITH spent AS (
			UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL RETURNING id
		), token AS (
			INSERT INTO refresh_tokens (id, session_id, user_id, hash, created_at, expires_at)
			SELECT ?, ?, ?, ?, ?, ? FROM spent RETURNING id
		), entry AS (
			INSERT INTO audit_log (id, actor_id, impersonator_id, action, target_id, outcome, ip, user_agent, request_id, metadata, created_at)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM spent RETURNING id
		)
		SELECT count(*) FROM spent`,
		utc(at), oldID,
		next.ID, next.SessionID, next.UserID, next.Hash, utc(next.CreatedAt), utc(next.ExpiresAt),
		e.ID, null(e.ActorID), null(e.ImpersonatorID), e.Action, null(e.TargetID), string(e.Outcome),
		null(e.IP), null(e.UserAgent), null(e.RequestID), meta, utc(e.CreatedAt),
	).Scan(ctx, &spent)
	if err != nil {
		if invalidInput(err) || foreignKeyViolation(err) {
			return store.ErrInvalidRefreshToken.Wrap(err)
		}
		return translate(err, store.ErrInvalidRefreshToken)
	}
	if spent != 1 {
		return store.ErrInvalidRefreshToken
	}
	return nil
}

func (r refreshTokens) rotateInTx(ctx context.Context, oldID string, at time.Time, next *store.RefreshToken, e *store.AuditEntry) error {
	run := func(tx repos) error {
		if err := (refreshTokens{tx}).MarkUsed(ctx, oldID, at); err != nil {
			return err
		}
		if err := (refreshTokens{tx}).Create(ctx, next); err != nil {
			return err
		}
		return (auditLog{tx}).Record(ctx, e)
	}
	if r.inTx {
		return run(r.repos)
	}
	r.s.writeMu.Lock()
	defer r.s.writeMu.Unlock()
	err := r.s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return run(repos{s: r.s, db: tx, inTx: true})
	})
	var de *store.Error
	if errors.As(err, &de) {
		return err
	}
	return translate(err, nil)
}
