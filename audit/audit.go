// Package audit records every state change and login attempt as an audit
// entry written in the same transaction as the change, and queries the log.
//
// Services call Record with the transaction they are changing state in;
// the actor, impersonator, IP, user agent and request id come from the
// context (store.NewContextWithActor, store.NewContextWithRequest), so
// callers only name the action, target and outcome:
//
//	err := st.InTx(ctx, func(tx store.Repos) error {
//		if err := tx.Users().Update(ctx, u); err != nil {
//			return err
//		}
//		return log.Record(ctx, tx, audit.Entry{Action: "user.update", TargetID: u.ID})
//	})
package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Entry is what a caller says about an action; Record adds the rest.
type Entry struct {
	// Action is "area.verb", such as "auth.login".
	Action   string
	TargetID string
	// Outcome defaults to success.
	Outcome store.Outcome
	// ActorID overrides the actor from the context, for actions by
	// someone not yet signed in (a login names the account it reached).
	ActorID  string
	Metadata map[string]string
}

// Log records and reads the audit log.
type Log struct {
	st  store.Store
	now func() time.Time
}

// New returns a Log on st using now as its clock (time.Now when nil).
func New(st store.Store, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{st: st, now: now}
}

// Record writes e through tx, so that it commits or rolls back with the
// change it describes.
func (l *Log) Record(ctx context.Context, tx store.Repos, e Entry) error {
	if e.Action == "" {
		return fmt.Errorf("audit: empty action")
	}
	entry := l.entry(ctx, e)
	if err := tx.Audit().Record(ctx, &entry); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// RecordNow writes e in a transaction of its own: for events that change
// nothing else, such as a refused request.
func (l *Log) RecordNow(ctx context.Context, e Entry) error {
	return l.Record(ctx, l.st, e)
}

// Prepare returns the entry Record would write, for stores that record it
// as part of a single statement (such as a refresh-token rotation).
func (l *Log) Prepare(ctx context.Context, e Entry) store.AuditEntry { return l.entry(ctx, e) }

func (l *Log) entry(ctx context.Context, e Entry) store.AuditEntry {
	req := store.RequestFromContext(ctx)
	actor, _ := store.ActorFromContext(ctx)
	out := store.AuditEntry{
		ActorID:        actor.UserID,
		ImpersonatorID: actor.ImpersonatorID,
		Action:         e.Action,
		TargetID:       e.TargetID,
		Outcome:        e.Outcome,
		IP:             req.IP,
		UserAgent:      req.UserAgent,
		RequestID:      req.ID,
		Metadata:       e.Metadata,
		CreatedAt:      l.now().UTC(),
	}
	if e.ActorID != "" {
		out.ActorID = e.ActorID
	}
	if actor.System && out.ActorID == "" {
		// The host's own code: the actor column holds user ids only, so
		// the row says who acted in its metadata.
		md := make(map[string]string, len(e.Metadata)+1)
		for k, v := range e.Metadata {
			md[k] = v
		}
		md["actor"] = "system"
		out.Metadata = md
	}
	if out.Outcome == "" {
		out.Outcome = store.OutcomeSuccess
	}
	return out
}

// List returns one page of the entries matching f, newest first unless r
// sorts otherwise (the store offers "createdAt").
func (l *Log) List(ctx context.Context, f store.AuditFilter, r store.ListRequest) (store.Page[store.AuditEntry], error) {
	return l.st.Audit().List(ctx, f, r)
}

// recorded marks an error whose audit row the service already wrote.
type recorded struct{ error }

func (r recorded) Unwrap() error { return r.error }

// MarkRecorded wraps err to say that its audit row is written, so the
// HTTP layer, which audits every refusal it answers with 403, does not
// write a second one. errors.Is and errors.As still see err.
func MarkRecorded(err error) error {
	if err == nil {
		return nil
	}
	return recorded{err}
}

// Recorded reports whether err was marked by MarkRecorded.
func Recorded(err error) bool {
	var r recorded
	return errors.As(err, &r)
}
