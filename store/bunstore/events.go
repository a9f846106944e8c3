package bunstore

import (
	"context"
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
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	return translate(err, nil)
}
