package bunstore

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type eventModel struct {
	bun.BaseModel `bun:"table:outbox_events,alias:ev"`

	ID             string         `bun:"id,pk"`
	Name           string         `bun:"name"`
	UserID         string         `bun:"user_id,nullzero"`
	ActorID        string         `bun:"actor_id,nullzero"`
	ImpersonatorID string         `bun:"impersonator_id,nullzero"`
	Payload        map[string]any `bun:"payload,type:text,nullzero"`
	OccurredAt     time.Time      `bun:"occurred_at"`
	Attempts       int            `bun:"attempts"`
	NextAttemptAt  *time.Time     `bun:"next_attempt_at"`
	LastError      string         `bun:"last_error,nullzero"`
	DeadAt         *time.Time     `bun:"dead_at"`
}

func (m *eventModel) entry() store.OutboxEntry {
	return store.OutboxEntry{
		Event: store.Event{ID: m.ID, Name: store.EventName(m.Name), UserID: m.UserID, ActorID: m.ActorID,
			ImpersonatorID: m.ImpersonatorID, Payload: m.Payload, OccurredAt: m.OccurredAt.UTC()},
		Attempts: m.Attempts, NextAttemptAt: utcPtr(m.NextAttemptAt), LastError: m.LastError, DeadAt: utcPtr(m.DeadAt),
	}
}

type events struct{ repos }

func (r events) Append(ctx context.Context, e *store.Event) error {
	if e.ID == "" {
		e.ID = newID()
	}
	e.OccurredAt = utc(e.OccurredAt)
	m := &eventModel{ID: e.ID, Name: string(e.Name), UserID: e.UserID, ActorID: e.ActorID,
		ImpersonatorID: e.ImpersonatorID, Payload: e.Payload, OccurredAt: e.OccurredAt}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Column("id", "name", "user_id", "actor_id", "impersonator_id",
			"payload", "occurred_at").Exec(ctx)
		return err
	})
	if err != nil {
		return translate(err, nil)
	}
	r.changed(store.Change{Kind: store.EventsAppended, UserID: e.UserID})
	return nil
}

// maxErrorLength bounds last_error: a handler's error is for an operator,
// not a log of its own.
const maxErrorLength = 1000

func (r events) Claim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.OutboxEntry, error) {
	var ms []eventModel
	q := r.db.NewSelect().Model(&ms).
		Where("ev.delivered_at IS NULL AND ev.dead_at IS NULL").
		Where("(ev.next_attempt_at IS NULL OR ev.next_attempt_at <= ?)", utc(now)).
		// The oldest undelivered event of its user only; events without a
		// user are not ordered.
		Where(`NOT EXISTS (SELECT 1 FROM outbox_events AS p WHERE p.user_id = ev.user_id AND p.id < ev.id
			AND p.delivered_at IS NULL AND p.dead_at IS NULL)`).
		OrderExpr("ev.id").Limit(limit)
	if r.s.writeMu == nil && r.inTx {
		q = q.For("UPDATE OF ev SKIP LOCKED")
	}
	err := r.write(func() error {
		if err := q.Scan(ctx); err != nil || len(ms) == 0 {
			return err
		}
		ids := make([]string, len(ms))
		for i := range ms {
			ids[i] = ms[i].ID
		}
		_, err := r.db.NewUpdate().Model((*eventModel)(nil)).
			Set("attempts = attempts + 1").Set("next_attempt_at = ?", utc(leaseUntil)).
			Where("id IN (?)", bun.In(ids)).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, translate(err, nil)
	}
	out := make([]store.OutboxEntry, len(ms))
	for i := range ms {
		ms[i].Attempts++
		ms[i].NextAttemptAt = &leaseUntil
		out[i] = ms[i].entry()
	}
	return out, nil
}

func (r events) Delivered(ctx context.Context, id string) error {
	if !validID(id) {
		return store.ErrNotFound
	}
	err := r.write(func() error {
		res, err := r.db.NewDelete().Model((*eventModel)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrNotFound)
	})
	return translate(err, store.ErrNotFound)
}

func (r events) Retry(ctx context.Context, id string, at time.Time, lastError string) error {
	return r.set(ctx, id, "dead_at IS NULL", func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("next_attempt_at = ?", utc(at)).Set("last_error = ?", clip(lastError))
	})
}

func (r events) Bury(ctx context.Context, id string, at time.Time, lastError string) error {
	return r.set(ctx, id, "dead_at IS NULL", func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("dead_at = ?", utc(at)).Set("next_attempt_at = NULL").Set("last_error = ?", clip(lastError))
	})
}

func (r events) Requeue(ctx context.Context, id string, at time.Time) error {
	return r.set(ctx, id, "dead_at IS NOT NULL", func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("dead_at = NULL").Set("attempts = 0").Set("next_attempt_at = ?", utc(at))
	})
}

// set updates the event id when it matches cond, or returns ErrNotFound.
func (r events) set(ctx context.Context, id, cond string, edit func(*bun.UpdateQuery) *bun.UpdateQuery) error {
	if !validID(id) {
		return store.ErrNotFound
	}
	err := r.write(func() error {
		res, err := edit(r.db.NewUpdate().Model((*eventModel)(nil))).Where("id = ?", id).Where(cond).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrNotFound)
	})
	return translate(err, store.ErrNotFound)
}

func (r events) Dead(ctx context.Context, limit int) ([]store.OutboxEntry, error) {
	var ms []eventModel
	err := r.db.NewSelect().Model(&ms).Where("ev.dead_at IS NOT NULL").
		OrderExpr("ev.dead_at, ev.id").Limit(limit).Scan(ctx)
	if err != nil {
		return nil, translate(err, nil)
	}
	out := make([]store.OutboxEntry, len(ms))
	for i := range ms {
		out[i] = ms[i].entry()
	}
	return out, nil
}

// clip bounds s to maxErrorLength bytes of valid UTF-8 without NUL, which
// PostgreSQL's text refuses.
func clip(s string) string {
	if len(s) > maxErrorLength {
		s = s[:maxErrorLength]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}
