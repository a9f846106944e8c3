package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Async sends mail in the background, so that a request's answer does not
// wait on (or, for forgot-password, reveal anything through) the mail
// server. At most a fixed number of messages are in flight; Close waits for
// them. Failures are logged without the message body, which carries links.
type Async struct {
	mailer  Mailer
	log     *slog.Logger
	timeout time.Duration
	slots   chan struct{}
	wg      sync.WaitGroup
}

// NewAsync returns an Async sending through m with at most inflight
// concurrent sends, each bounded by timeout.
func NewAsync(m Mailer, log *slog.Logger, inflight int, timeout time.Duration) *Async {
	if inflight <= 0 {
		inflight = 16
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Async{mailer: m, log: log, timeout: timeout, slots: make(chan struct{}, inflight)}
}

// Send queues msg. It blocks only while the in-flight limit is reached.
// The send outlives ctx's cancellation but keeps its values.
func (a *Async) Send(ctx context.Context, msg Message) {
	a.Go(ctx, func(ctx context.Context) error { return a.mailer.Send(ctx, msg) })
}

// SendTemplate renders the named template of t for the address to with
// data and queues the message like Send. When rendering fails nothing is
// queued and the render error is returned.
func (a *Async) SendTemplate(ctx context.Context, t *Templates, name, to string, data any) error {
	msg, err := t.Render(name, to, data)
	if err != nil {
		return err
	}
	a.Send(ctx, msg)
	return nil
}

// Go runs fn in the background like Send, for work that decides whether to
// send at all (forgot-password looks the account up off the request path).
func (a *Async) Go(ctx context.Context, fn func(ctx context.Context) error) {
	a.wg.Add(1)
	a.slots <- struct{}{}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer func() { <-a.slots; a.wg.Done() }()
		ctx, cancel := context.WithTimeout(ctx, a.timeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			a.log.ErrorContext(ctx, "background mail failed", "err", err)
		}
	}()
}

// Close waits for queued work to finish.
func (a *Async) Close() { a.wg.Wait() }
