package notify_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/usermgmt/usermgmt/notify"
)

// A ConsoleMailer logs each message, links included, as one structured
// record instead of sending it: the mailer to use in development and in
// examples. Give it the host's logger so mail shows up among the logs.
func ExampleConsoleMailer() {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // a fixed output for this example
			}
			return a
		},
	}))
	mailer := &notify.ConsoleMailer{Logger: log}
	err := mailer.Send(context.Background(), notify.Message{
		To:      "alice@example.com",
		Subject: "Verify your email",
		Text:    "Open https://example.com/verify?token=abc123 to verify your address.",
	})
	if err != nil {
		log.Error("console mail failed", "err", err)
	}
	// Output:
	// level=INFO msg="console mail" to=alice@example.com subject="Verify your email" text="Open https://example.com/verify?token=abc123 to verify your address."
}

// ParseSMTPURL turns the URL a host reads from its environment into a
// configuration; From is set separately. Printing the configuration is safe:
// the password is redacted.
func ExampleParseSMTPURL() {
	cfg, err := notify.ParseSMTPURL("smtp://mailer:hunter2@mail.example.com:587")
	if err != nil {
		log.Fatal(err)
	}
	cfg.From = "Example <noreply@example.com>"
	cfg.RequireTLS = true
	mailer, err := notify.NewSMTPMailer(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg)
	fmt.Println(mailer)
	// Output:
	// smtp://mailer:REDACTED@mail.example.com:587
	// notify.SMTPMailer(smtp://mailer:REDACTED@mail.example.com:587)
}

// An SMS provider is plugged in by implementing SMSSender; for a provider
// reached with one function call, SMSSenderFunc is enough.
func ExampleSMSSenderFunc() {
	sms := notify.SMSSenderFunc(func(ctx context.Context, to, body string) error {
		// A real adapter would call the provider's API here, with ctx.
		fmt.Printf("sending %d characters to %s\n", len(body), to)
		return nil
	})
	if err := sms.SendSMS(context.Background(), "+14155550123", "Your code is 123456"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// sending 19 characters to +14155550123
}
