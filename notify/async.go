package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrQueueFull is returned by [Async.Go], [Async.Send] and
// [Async.SendTemplate] when so much work is already waiting that the
// message was dropped rather than making the caller wait.
var ErrQueueFull = errors.New("notify: mail queue full, message dropped")

// queuePerSender is how many messages may wait for each concurrent send
// before new ones are dropped.
const queuePerSender = 64

// Async sends mail in the background, so that a request's answer does not
// wait on (or, for forgot-password, reveal anything through) the mail
// server. At most a fixed number of sends run at once and a bounded number
// wait for their turn; enqueueing never blocks: when the queue is full the
// message is dropped, the drop is logged and [ErrQueueFull] is returned, so
// a slow mail server can never stall a request or make its timing depend
// on the account. Close waits for queued work. Failures are logged without
// the message body, which carries links.
//
// The queue lives in memory: what is queued when the process dies is lost.
type Async struct {
	mailer  Mailer
	log     *slog.Logger
	timeout time.Duration
	slots   chan struct{} // one per send running
	limit   int           // queued plus running

	mu      sync.Mutex
	idle    *sync.Cond // signalled when pending drops to zero
	pending int
}

// NewAsync returns an Async sending through m with at most inflight
// concurrent sends (default 16), each bounded by timeout (default 30
// seconds). Up to 64 messages per concurrent send may wait; more are
// dropped. A nil log discards.
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
	a := &Async{
		mailer: m, log: log, timeout: timeout,
		slots: make(chan struct{}, inflight), limit: inflight * queuePerSender,
	}
	a.idle = sync.NewCond(&a.mu)
	return a
}

// Send queues msg without blocking. It returns ctx's error when ctx is
// already done and [ErrQueueFull] when the message was dropped; the send
// itself outlives ctx's cancellation but
// keeps its values.
func (a *Async) Send(ctx context.Context, msg Message) error {
	return a.Go(ctx, func(ctx context.Context) error { return a.mailer.Send(ctx, msg) })
}

// SendTemplate renders the named template of t for the address to with
// data and queues the message like Send. When rendering fails nothing is
// queued and the render error is returned.
func (a *Async) SendTemplate(ctx context.Context, t *Templates, name, to string, data any) error {
	msg, err := t.Render(name, to, data)
	if err != nil {
		return err
	}
	return a.Send(ctx, msg)
}

// Go runs fn in the background like Send, for work that decides whether to
// send at all (forgot-password looks the account up off the request path).
// It never blocks and fails like Send. fn gets a context with ctx's values,
// not its cancellation, bounded by the send timeout.
func (a *Async) Go(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: mail not queued: %w", err)
	}
	a.mu.Lock()
	if a.pending >= a.limit {
		a.mu.Unlock()
		a.log.WarnContext(ctx, "background mail dropped", "reason", "queue full", "queued", a.limit)
		return ErrQueueFull
	}
	a.pending++
	a.mu.Unlock()

	ctx = context.WithoutCancel(ctx)
	go func() {
		defer func() {
			a.mu.Lock()
			if a.pending--; a.pending == 0 {
				a.idle.Broadcast()
			}
			a.mu.Unlock()
		}()
		a.slots <- struct{}{} // off the request path: only this goroutine waits
		defer func() { <-a.slots }()
		ctx, cancel := context.WithTimeout(ctx, a.timeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			a.log.ErrorContext(ctx, "background mail failed", "err", err)
		}
	}()
	return nil
}

// Close waits for queued work to finish (each send is bounded by the
// timeout given to NewAsync). The Async stays usable: work queued later is
// sent too, and Close may be called again, so tests use it to flush.
func (a *Async) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.pending > 0 {
		a.idle.Wait()
	}
}
