package notify

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// ConsoleMailer is a [Mailer] for development: it writes each message (To,
// Subject and the plain-text body) to a writer instead of sending it. The
// output contains verification links, reset links and sign-in codes in
// clear, so never use it in production.
//
// The zero value writes to os.Stdout. A ConsoleMailer is safe for concurrent
// use; messages are written whole, never interleaved.
type ConsoleMailer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsoleMailer returns a ConsoleMailer that writes to w, or to os.Stdout
// when w is nil.
func NewConsoleMailer(w io.Writer) *ConsoleMailer {
	return &ConsoleMailer{w: w}
}

// Send writes msg to the mailer's writer. When msg has no plain-text body
// the HTML body is written instead, so that links are never lost.
func (m *ConsoleMailer) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: console mail: %w", err)
	}
	body := msg.Text
	if body == "" {
		body = msg.HTML
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := fmt.Fprintf(writerOrStdout(m.w), "--- email ---\nTo: %s\nSubject: %s\n\n%s\n--- end ---\n",
		msg.To, msg.Subject, body)
	if err != nil {
		return fmt.Errorf("notify: console mail: %w", err)
	}
	return nil
}

// ConsoleSMSSender is an [SMSSender] for development: it writes each text
// message to a writer instead of sending it. The output contains sign-in
// codes in clear, so never use it in production.
//
// The zero value writes to os.Stdout. A ConsoleSMSSender is safe for
// concurrent use; messages are written whole, never interleaved.
type ConsoleSMSSender struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsoleSMSSender returns a ConsoleSMSSender that writes to w, or to
// os.Stdout when w is nil.
func NewConsoleSMSSender(w io.Writer) *ConsoleSMSSender {
	return &ConsoleSMSSender{w: w}
}

// SendSMS writes the message to the sender's writer.
func (s *ConsoleSMSSender) SendSMS(ctx context.Context, to, body string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: console sms: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := fmt.Fprintf(writerOrStdout(s.w), "--- sms ---\nTo: %s\n\n%s\n--- end ---\n", to, body)
	if err != nil {
		return fmt.Errorf("notify: console sms: %w", err)
	}
	return nil
}

func writerOrStdout(w io.Writer) io.Writer {
	if w == nil {
		return os.Stdout
	}
	return w
}

var (
	_ Mailer    = (*ConsoleMailer)(nil)
	_ SMSSender = (*ConsoleSMSSender)(nil)
)
