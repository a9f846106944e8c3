package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidMessage is matched (with errors.Is) by the error a sender
// returns for a message it refuses before contacting anyone: a missing or
// malformed recipient, or a CR or LF in a header field, which would let the
// caller's data inject extra headers.
var ErrInvalidMessage = errors.New("notify: invalid message")

// ErrInsecureConnection is matched (with errors.Is) by the error
// [SMTPMailer.Send] returns when it refuses to continue without TLS: the
// configuration requires TLS and the server does not offer STARTTLS, or
// credentials would be sent in clear to a host that is not loopback.
var ErrInsecureConnection = errors.New("notify: refusing to continue without TLS")

// Message is one email. To and Subject are single header values and must not
// contain CR or LF. Text is the plain-text body, which every recipient can
// read; HTML, when set, is sent as an alternative rendering of the same
// content.
type Message struct {
	To      string // recipient address, optionally with a display name
	Subject string
	Text    string // plain-text body
	HTML    string // optional HTML body
}

// Mailer delivers email.
//
// Send hands msg to the mail system for delivery to msg.To. A nil error means
// the message was accepted, not that it reached an inbox. Send returns an
// error matching [ErrInvalidMessage] for a message it refuses without trying
// (a missing recipient, a CR or LF in To or Subject), and otherwise an error
// when the message may not have been accepted; callers may retry those. Send
// stops early, returning an error that wraps ctx.Err(), when ctx is done. It
// must not keep msg after it returns and must be safe for concurrent use.
type Mailer interface {
	Send(ctx context.Context, msg Message) error
}

// MailerFunc adapts an ordinary function to the [Mailer] interface.
type MailerFunc func(ctx context.Context, msg Message) error

// Send calls f(ctx, msg).
func (f MailerFunc) Send(ctx context.Context, msg Message) error { return f(ctx, msg) }

// SMSSender delivers text messages. It is what an adapter for Twilio or any
// other SMS provider implements.
//
// SendSMS hands body to the provider for delivery to the phone number to,
// in E.164 form ("+14155550123"). A nil error means the provider accepted the
// message. SendSMS returns an error when the message may not have been
// accepted, stops early with an error wrapping ctx.Err() when ctx is done,
// and must be safe for concurrent use. Implementations must not log body: it
// carries one-time codes.
type SMSSender interface {
	SendSMS(ctx context.Context, to, body string) error
}

// SMSSenderFunc adapts an ordinary function to the [SMSSender] interface.
type SMSSenderFunc func(ctx context.Context, to, body string) error

// SendSMS calls f(ctx, to, body).
func (f SMSSenderFunc) SendSMS(ctx context.Context, to, body string) error { return f(ctx, to, body) }

var (
	_ Mailer    = MailerFunc(nil)
	_ SMSSender = SMSSenderFunc(nil)
)

// checkHeader reports an error matching ErrInvalidMessage when value would
// break out of its header line.
func checkHeader(field, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("%w: %s contains CR or LF", ErrInvalidMessage, field)
	}
	return nil
}
