package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/store"
)

// JobMail names the outbox entry of one email to send; the job MailJob
// returns sends it.
const JobMail store.EventName = "mail.send"

// Enqueue writes msg to the outbox through tx: it is sent once tx commits,
// by the outbox's dispatcher (Manager.Run), with retries, so a mail server
// that is down or slow delays the mail but loses none, and the caller
// never waits on it. userID, when set, keys the mail to that user: erasure
// deletes it with the user's rows, and it goes out in order with the
// user's events. The entry holds the message until it is sent, then is
// deleted; it must therefore carry no secret that should not wait in the
// database (the mails with a link token are made by the job that sends
// them, which creates the token then).
func Enqueue(ctx context.Context, tx store.Repos, userID string, msg Message, now time.Time) error {
	payload := map[string]any{"to": msg.To, "subject": msg.Subject, "text": msg.Text}
	if msg.HTML != "" {
		payload["html"] = msg.HTML
	}
	e := &store.Event{Name: JobMail, UserID: userID, Payload: payload, OccurredAt: now}
	if err := tx.Events().Append(ctx, e); err != nil {
		return fmt.Errorf("notify: enqueue mail: %w", err)
	}
	return nil
}

// EnqueueTemplate renders the named template of t for the address to with
// data and enqueues the message like Enqueue.
func EnqueueTemplate(ctx context.Context, tx store.Repos, t *Templates, name, userID, to string, data any, now time.Time) error {
	msg, err := t.Render(name, to, data)
	if err != nil {
		return err
	}
	return Enqueue(ctx, tx, userID, msg, now)
}

// MailJob returns the outbox job that sends JobMail entries through m. A
// message m refuses outright (ErrInvalidMessage) is dead-lettered at once:
// retrying cannot help.
func MailJob(m Mailer) events.Job {
	return func(ctx context.Context, e store.OutboxEntry) error {
		var msg struct{ To, Subject, Text, HTML string }
		raw, err := json.Marshal(e.Payload)
		if err == nil {
			err = json.Unmarshal(raw, &msg)
		}
		if err != nil {
			return events.Permanent(fmt.Errorf("notify: decode mail job: %w", err))
		}
		err = m.Send(ctx, Message{To: msg.To, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML})
		if errors.Is(err, ErrInvalidMessage) {
			return events.Permanent(err)
		}
		return err
	}
}
