package events

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Event is a domain event as handlers receive it: the outbox row decoded,
// with its payload typed.
type Event struct {
	// ID is unique and stable across redeliveries: handlers deduplicate on
	// it (delivery is at least once).
	ID   string
	Name store.EventName
	// UserID is the user the event is about ("" for events about many).
	UserID string
	// ActorID and ImpersonatorID say who acted ("" for the system or an
	// anonymous caller).
	ActorID        string
	ImpersonatorID string
	OccurredAt     time.Time
	// Payload is one of this package's payload types (UserUpdated, ...)
	// for the library's events, nil for a name it does not define.
	Payload Payload
	// Data is the payload as stored, for names without a type.
	Data map[string]any
	// Attempt counts deliveries of this event, this one included.
	Attempt int
}

// Handler receives events after the transaction that wrote them commits.
//
// Delivery is at least once: an event whose handler fails, times out or
// whose process dies meanwhile is delivered again, with the same ID, so a
// handler must be idempotent (or deduplicate on ID). Events about one user
// arrive in the order they were written, one at a time; events about
// different users may arrive concurrently. A handler returning an error
// asks for a retry with backoff; after the dispatcher's maximum attempts
// the event is dead-lettered. ctx carries the delivery timeout.
type Handler interface {
	HandleEvent(ctx context.Context, e Event) error
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, e Event) error

// HandleEvent calls f(ctx, e).
func (f HandlerFunc) HandleEvent(ctx context.Context, e Event) error { return f(ctx, e) }

// Decode turns an outbox entry into an Event, typing the payload of the
// library's event names. A payload that does not fit its type is an
// error.
func Decode(o store.OutboxEntry) (Event, error) {
	e := Event{ID: o.ID, Name: o.Name, UserID: o.UserID, ActorID: o.ActorID, ImpersonatorID: o.ImpersonatorID,
		OccurredAt: o.OccurredAt, Data: o.Payload, Attempt: o.Attempts}
	p := newPayload(o.Name)
	if p == nil {
		return e, nil
	}
	if len(o.Payload) > 0 {
		raw, err := json.Marshal(o.Payload)
		if err != nil {
			return e, fmt.Errorf("events: encode %s payload: %w", o.Name, err)
		}
		if err := json.Unmarshal(raw, p); err != nil {
			return e, fmt.Errorf("events: decode %s payload: %w", o.Name, err)
		}
	}
	e.Payload = reflect.ValueOf(p).Elem().Interface().(Payload)
	return e, nil
}

// wireEvent is an event as JSON, in the Standard Webhooks shape: type,
// timestamp and data.
type wireEvent struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// MarshalJSON encodes e as {"id", "type", "timestamp", "data"}, data
// holding userId, actorId, impersonatorId (when set) and the payload's
// fields.
func (e Event) MarshalJSON() ([]byte, error) {
	data := map[string]any{}
	for k, v := range e.Data {
		data[k] = v
	}
	for k, v := range map[string]string{"userId": e.UserID, "actorId": e.ActorID, "impersonatorId": e.ImpersonatorID} {
		if v != "" {
			data[k] = v
		}
	}
	return json.Marshal(wireEvent{ID: e.ID, Type: string(e.Name), Timestamp: e.OccurredAt.UTC(), Data: data})
}

// payloadMap is p as the map the outbox stores.
func payloadMap(p Payload) (map[string]any, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}
