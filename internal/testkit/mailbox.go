package testkit

import (
	"context"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/notify"
)

// Text is one text message a Mailbox captured.
type Text struct {
	To   string
	Body string
}

// Mailbox captures mail (it is a notify.Mailer) and text messages (it is a
// notify.SMSSender) in the order they arrive. It never fails a send and is
// safe for concurrent use. The zero value is ready to use.
type Mailbox struct {
	mu    sync.Mutex
	mails []notify.Message
	texts []Text
}

var (
	_ notify.Mailer    = (*Mailbox)(nil)
	_ notify.SMSSender = (*Mailbox)(nil)
)

// Send captures msg.
func (b *Mailbox) Send(_ context.Context, msg notify.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mails = append(b.mails, msg)
	return nil
}

// SendSMS captures a text message.
func (b *Mailbox) SendSMS(_ context.Context, to, body string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.texts = append(b.texts, Text{To: to, Body: body})
	return nil
}

// Messages returns a copy of the mail captured so far, oldest first.
func (b *Mailbox) Messages() []notify.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]notify.Message(nil), b.mails...)
}

// MessagesTo returns the mail captured so far whose To is exactly addr,
// oldest first.
func (b *Mailbox) MessagesTo(addr string) []notify.Message {
	var out []notify.Message
	for _, m := range b.Messages() {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

// Texts returns a copy of the text messages captured so far, oldest first.
func (b *Mailbox) Texts() []Text {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Text(nil), b.texts...)
}

// TextsTo returns the text messages captured so far sent to addr, oldest
// first.
func (b *Mailbox) TextsTo(addr string) []Text {
	var out []Text
	for _, s := range b.Texts() {
		if s.To == addr {
			out = append(out, s)
		}
	}
	return out
}

// Find returns the oldest captured mail to addr whose subject is exactly
// subject.
func (b *Mailbox) Find(addr, subject string) (notify.Message, bool) {
	for _, m := range b.MessagesTo(addr) {
		if m.Subject == subject {
			return m, true
		}
	}
	return notify.Message{}, false
}

// Wait polls until a mail to addr with exactly the subject has arrived,
// for at most timeout, and returns it; ok is false when none came in time.
func (b *Mailbox) Wait(addr, subject string, timeout time.Duration) (msg notify.Message, ok bool) {
	Poll(timeout, func() bool {
		msg, ok = b.Find(addr, subject)
		return ok
	})
	return msg, ok
}

// PollInterval is how long Poll sleeps between tries.
const PollInterval = 5 * time.Millisecond

// Poll calls cond until it returns true or timeout has passed, sleeping
// PollInterval between calls; it reports whether cond returned true. cond
// is called at least once.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(PollInterval)
	}
}
