// Package notify sends the email and SMS messages the rest of usermgmt
// produces: verification links, password-reset links, sign-in codes.
//
// The services depend only on two small interfaces, [Mailer] and
// [SMSSender]. This package provides development senders that log each
// message as a structured log/slog record ([ConsoleMailer], [ConsoleSMSSender]) and a production mailer that
// speaks SMTP ([SMTPMailer]). An SMS provider such as Twilio is plugged in by
// implementing [SMSSender], or by wrapping a function in [SMSSenderFunc].
//
// A host typically builds its mailer from a URL:
//
//	cfg, err := notify.ParseSMTPURL(os.Getenv("USERMGMT_SMTP_URL"))
//	if err != nil {
//		return err
//	}
//	cfg.From = "Example <noreply@example.com>"
//	mailer, err := notify.NewSMTPMailer(cfg)
//	if err != nil {
//		return err
//	}
//	err = mailer.Send(ctx, notify.Message{
//		To:      "alice@example.com",
//		Subject: "Verify your email",
//		Text:    "Open https://example.com/verify?token=... to verify.",
//	})
//
// and falls back to notify.NewConsoleMailer(nil) in development.
//
// The services never send mail on a request's path: they write it to the
// transactional outbox with [Enqueue] or [EnqueueTemplate] in the
// transaction of the change, and the outbox's dispatcher sends it with
// [MailJob], retrying while the mail server is down. Only one-time codes
// (by mail and SMS) go through [Async], an in-memory queue: they expire
// in minutes, and at rest in the database they would be worse than lost.
package notify
