package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Job does the work of one internal outbox entry (a mail to send, say).
// Jobs are never shown to Handlers; they are retried like events.
type Job func(ctx context.Context, e store.OutboxEntry) error

// Defaults of DispatcherConfig.
const (
	DefaultMaxAttempts = 12
	DefaultBaseDelay   = time.Second
	DefaultMaxDelay    = time.Hour
	DefaultTimeout     = 30 * time.Second
	DefaultBatch       = 64
	DefaultPoll        = 2 * time.Second
	DefaultConcurrency = 8
)

// DispatcherConfig configures a Dispatcher. Zero values take the defaults.
type DispatcherConfig struct {
	Store    store.Store
	Handlers []Handler
	// Jobs maps internal entry names to their work.
	Jobs map[store.EventName]Job
	Now  func() time.Time
	// Logger receives failures and dead letters (never payloads).
	Logger *slog.Logger
	// MaxAttempts is how many deliveries an entry gets before it is
	// dead-lettered. Default 12 (about 1.1 hours of backoff in all).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the exponential backoff: the n-th
	// retry waits BaseDelay·2^(n-1), capped at MaxDelay, with jitter
	// (between half of that and all of it). Defaults 1 s and 1 h.
	BaseDelay, MaxDelay time.Duration
	// Timeout bounds one delivery (every handler of one event, or one
	// job). The lease on a claimed entry is twice as long, so that no
	// other dispatcher takes it while this one may still deliver.
	// Default 30 s.
	Timeout time.Duration
	// Batch is how many entries one claim takes. Default 64.
	Batch int
	// Poll is how often Run looks for due entries when nothing woke it
	// (retries, entries written by other instances). Default 2 s.
	Poll time.Duration
	// Concurrency bounds the deliveries running at once. Default 8.
	Concurrency int
}

// Dispatcher delivers the outbox: events to the handlers, jobs to their
// work, at least once, in order per user, with retries and backoff, and
// dead letters after MaxAttempts. Any number of dispatchers, in any
// number of processes, may run on one store at once.
type Dispatcher struct {
	cfg  DispatcherConfig
	wake chan struct{}
}

// NewDispatcher returns a Dispatcher for cfg; cfg.Store is required.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.Store == nil {
		return nil, errors.New("events: dispatcher needs a store")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.BaseDelay, DefaultBaseDelay)
	def(&cfg.MaxDelay, DefaultMaxDelay)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.Poll, DefaultPoll)
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defInt(&cfg.MaxAttempts, DefaultMaxAttempts)
	defInt(&cfg.Batch, DefaultBatch)
	defInt(&cfg.Concurrency, DefaultConcurrency)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Wake makes Run look for due entries now rather than at its next poll.
// It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done: at once when a transaction of this
// process appends to the outbox (store.EventsAppended), otherwise every
// Poll. What was undelivered when a previous Run stopped (a crash, a
// restart) is delivered as soon as its lease runs out.
func (d *Dispatcher) Run(ctx context.Context) error {
	cancel := d.cfg.Store.Subscribe(func(c store.Change) {
		if c.Kind == store.EventsAppended {
			d.Wake()
		}
	})
	defer cancel()
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := d.Deliver(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.ErrorContext(ctx, "outbox delivery failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-t.C:
		}
	}
}

// Deliver delivers what is due now, claim after claim, until nothing is
// due, and returns how many entries it delivered. Run calls it; tests and
// hosts that drive delivery themselves may too.
func (d *Dispatcher) Deliver(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		batch, err := d.claim(ctx)
		if err != nil || len(batch) == 0 {
			return total, err
		}
		total += d.deliverBatch(ctx, batch)
	}
	return total, nil
}

func (d *Dispatcher) claim(ctx context.Context) ([]store.OutboxEntry, error) {
	now := d.cfg.Now()
	var batch []store.OutboxEntry
	err := d.cfg.Store.InTx(ctx, func(tx store.Repos) error {
		var err error
		batch, err = tx.Events().Claim(ctx, now, now.Add(2*d.cfg.Timeout), d.cfg.Batch)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("events: claim: %w", err)
	}
	return batch, nil
}

// deliverBatch delivers entries concurrently (one claim holds at most one
// entry per user) and returns how many succeeded.
func (d *Dispatcher) deliverBatch(ctx context.Context, batch []store.OutboxEntry) int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  int
		slots = make(chan struct{}, d.cfg.Concurrency)
	)
	for _, e := range batch {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if d.deliverOne(ctx, e) {
				mu.Lock()
				done++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return done
}

// deliverOne delivers e and records the outcome; it reports success.
func (d *Dispatcher) deliverOne(ctx context.Context, e store.OutboxEntry) bool {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	err := d.handle(dctx, e)
	cancel()
	// The outcome is recorded even when ctx ends meanwhile, so that a
	// delivery that succeeded is not repeated needlessly.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	defer cancel()
	if err == nil {
		if derr := d.cfg.Store.Events().Delivered(rctx, e.ID); derr != nil {
			d.cfg.Logger.ErrorContext(ctx, "outbox mark delivered failed", "event_id", e.ID, "err", derr)
		}
		return true
	}
	d.failed(rctx, e, err)
	return false
}

func (d *Dispatcher) handle(ctx context.Context, o store.OutboxEntry) error {
	if job, ok := d.cfg.Jobs[o.Name]; ok {
		return job(ctx, o)
	}
	e, err := Decode(o)
	if err != nil {
		return err
	}
	for _, h := range d.cfg.Handlers {
		if err := h.HandleEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// failed schedules a retry with backoff, or dead-letters e after
// MaxAttempts.
func (d *Dispatcher) failed(ctx context.Context, e store.OutboxEntry, cause error) {
	now := d.cfg.Now()
	log := d.cfg.Logger.With("event_id", e.ID, "event", string(e.Name), "attempt", e.Attempts)
	var perm permanentError
	if e.Attempts >= d.cfg.MaxAttempts || errors.As(cause, &perm) {
		log.ErrorContext(ctx, "outbox event dead-lettered", "err", cause)
		if err := d.cfg.Store.Events().Bury(ctx, e.ID, now, cause.Error()); err != nil {
			log.ErrorContext(ctx, "outbox dead-letter failed", "err", err)
		}
		return
	}
	at := now.Add(d.backoff(e.Attempts))
	log.WarnContext(ctx, "outbox delivery will be retried", "err", cause, "next_attempt_at", at)
	if err := d.cfg.Store.Events().Retry(ctx, e.ID, at, cause.Error()); err != nil {
		log.ErrorContext(ctx, "outbox retry failed", "err", err)
	}
}

// backoff is the wait after the attempt-th failure: exponential, capped,
// with jitter so that entries failing together spread out.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	delay := d.cfg.MaxDelay
	if attempt < 40 {
		if e := d.cfg.BaseDelay << (attempt - 1); e > 0 && e < delay {
			delay = e
		}
	}
	return delay/2 + rand.N(delay/2+1)
}

// DeadLetters returns up to limit dead-lettered entries, oldest first,
// for an operator to inspect; Requeue delivers one again.
func (d *Dispatcher) DeadLetters(ctx context.Context, limit int) ([]store.OutboxEntry, error) {
	return d.cfg.Store.Events().Dead(ctx, limit)
}

// Requeue makes the dead-lettered entry id due now, with its attempts
// counted from zero again. It returns ErrNotFound for no such dead entry.
func (d *Dispatcher) Requeue(ctx context.Context, id string) error {
	if err := d.cfg.Store.Events().Requeue(ctx, id, d.cfg.Now()); err != nil {
		return err
	}
	d.Wake()
	return nil
}

// permanentError marks a failure that no retry can cure.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent wraps err so that the dispatcher dead-letters the entry at
// once instead of retrying it (a malformed job, a refused address).
func Permanent(err error) error { return permanentError{err} }
