package usermgmt

import (
	"context"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/notify"
)

// outboxConfig is what the outbox options set.
type outboxConfig struct {
	handlers            []events.Handler
	maxAttempts         int
	baseDelay, maxDelay time.Duration
}

// newOutbox builds the dispatcher of the outbox: the host's event
// handlers, and the library's own jobs.
func (m *Manager) newOutbox() (*events.Dispatcher, error) {
	o := m.cfg.outbox
	jobs := m.auth.Jobs()
	jobs[notify.JobMail] = notify.MailJob(m.cfg.mailer)
	return events.NewDispatcher(events.DispatcherConfig{
		Store: m.store, Handlers: o.handlers, Jobs: jobs, Now: m.cfg.now, Logger: m.cfg.logger,
		MaxAttempts: o.maxAttempts, BaseDelay: o.baseDelay, MaxDelay: o.maxDelay,
	})
}

// Outbox returns the dispatcher of the outbox (domain events and mail),
// which Run runs: its DeadLetters and Requeue are for operators, Deliver
// for a host that drives delivery itself.
func (m *Manager) Outbox() *events.Dispatcher { return m.outbox }

// runOutbox starts the dispatcher until ctx ends; wait waits for it.
func (m *Manager) runOutbox(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = m.outbox.Run(ctx)
	}()
	return wg.Wait
}
