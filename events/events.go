package events

import (
	"context"
	"fmt"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Recorder appends domain events to the outbox.
type Recorder struct {
	now func() time.Time
}

// NewRecorder returns a Recorder using now as its clock (time.Now when
// nil).
func NewRecorder(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{now: now}
}

// Append writes an event named name about userID through tx, with the
// actor taken from ctx (store.ActorFromContext), the one place that says
// who acts. payload must hold no secrets.
func (r *Recorder) Append(ctx context.Context, tx store.Repos, name store.EventName, userID string, payload map[string]any) error {
	e := r.Prepare(ctx, name, userID, payload)
	if err := tx.Events().Append(ctx, &e); err != nil {
		return fmt.Errorf("events: append %s: %w", name, err)
	}
	return nil
}

// Prepare returns the event Append would write, for stores that write
// many in one statement (store.BulkStore.AppendEvents).
func (r *Recorder) Prepare(ctx context.Context, name store.EventName, userID string, payload map[string]any) store.Event {
	actor, _ := store.ActorFromContext(ctx)
	return store.Event{
		Name:           name,
		UserID:         userID,
		ActorID:        actor.UserID,
		ImpersonatorID: actor.ImpersonatorID,
		Payload:        payload,
		OccurredAt:     r.now().UTC(),
	}
}

// Emit writes the event of payload p about userID through tx, like Append
// with the payload's name.
func (r *Recorder) Emit(ctx context.Context, tx store.Repos, userID string, p Payload) error {
	m, err := payloadMap(p)
	if err != nil {
		return fmt.Errorf("events: encode %s: %w", p.EventName(), err)
	}
	return r.Append(ctx, tx, p.EventName(), userID, m)
}
