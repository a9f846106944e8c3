package notify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
)

// ConsoleMailer is a [Mailer] for development: instead of sending a message
// it logs it as one structured record (message "console mail") with the
// recipient, the subject and the plain-text body, or, for a message with
// only an HTML body, the links in it. The record carries verification
// links, reset links and sign-in codes in clear, so never use it in
// production; nothing else of the message is logged.
//
// The record goes to Logger, at level Info, so that mail appears on the
// same stream as the host's other logs; a nil Logger (the zero value)
// means slog.Default(). A ConsoleMailer is safe for concurrent use.
type ConsoleMailer struct {
	Logger *slog.Logger
}

// NewConsoleMailer returns a ConsoleMailer that writes each message as one
// JSON record to w, or logs it on slog.Default() when w is nil.
func NewConsoleMailer(w io.Writer) *ConsoleMailer {
	return &ConsoleMailer{Logger: jsonLoggerOrNil(w)}
}

// Send logs msg. It fails only when ctx is done.
func (m *ConsoleMailer) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: console mail: %w", err)
	}
	attrs := []slog.Attr{slog.String("to", msg.To), slog.String("subject", msg.Subject)}
	if msg.Text != "" {
		attrs = append(attrs, slog.String("text", msg.Text))
	} else {
		attrs = append(attrs, slog.Any("links", htmlLinks(msg.HTML)))
	}
	loggerOrDefault(m.Logger).LogAttrs(ctx, slog.LevelInfo, "console mail", attrs...)
	return nil
}

var hrefPattern = regexp.MustCompile(`(?i)href\s*=\s*["']([^"']+)["']`)

// htmlLinks returns the targets of the links in an HTML body, so that an
// HTML-only message still shows where it leads without its markup.
func htmlLinks(html string) []string {
	links := []string{}
	for _, m := range hrefPattern.FindAllStringSubmatch(html, -1) {
		links = append(links, m[1])
	}
	return links
}

// ConsoleSMSSender is an [SMSSender] for development: instead of sending a
// text message it logs it as one structured record (message "console
// sms") with the recipient and the body. The body carries sign-in codes in
// clear, so never use it in production.
//
// The record goes to Logger, at level Info; a nil Logger (the zero value)
// means slog.Default(). A ConsoleSMSSender is safe for concurrent use.
type ConsoleSMSSender struct {
	Logger *slog.Logger
}

// NewConsoleSMSSender returns a ConsoleSMSSender that writes each message
// as one JSON record to w, or logs it on slog.Default() when w is nil.
func NewConsoleSMSSender(w io.Writer) *ConsoleSMSSender {
	return &ConsoleSMSSender{Logger: jsonLoggerOrNil(w)}
}

// SendSMS logs the message. It fails only when ctx is done.
func (s *ConsoleSMSSender) SendSMS(ctx context.Context, to, body string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: console sms: %w", err)
	}
	loggerOrDefault(s.Logger).LogAttrs(ctx, slog.LevelInfo, "console sms",
		slog.String("to", to), slog.String("text", body))
	return nil
}

func jsonLoggerOrNil(w io.Writer) *slog.Logger {
	if w == nil {
		return nil
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func loggerOrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

var (
	_ Mailer    = (*ConsoleMailer)(nil)
	_ SMSSender = (*ConsoleSMSSender)(nil)
)
