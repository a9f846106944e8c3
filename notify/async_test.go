package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/notify"
)

// blockingMailer holds every Send until release is closed, like a mail
// server that stopped answering.
type blockingMailer struct {
	release chan struct{}
	started chan struct{}
	sent    atomic.Int32
}

func newBlockingMailer() *blockingMailer {
	return &blockingMailer{release: make(chan struct{}), started: make(chan struct{}, 1024)}
}

func (m *blockingMailer) Send(ctx context.Context, _ notify.Message) error {
	m.started <- struct{}{}
	select {
	case <-m.release:
		m.sent.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// within fails the test when fn does not return within d.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("blocked for more than %s", d)
	}
}

func TestAsyncNeverBlocksOnAFullQueue(t *testing.T) {
	m := newBlockingMailer()
	var logs bytes.Buffer
	a := notify.NewAsync(m, slog.New(slog.NewJSONHandler(&logs, nil)), 1, time.Minute)
	msg := notify.Message{To: "alice@example.com", Subject: "Reset", Text: "https://example.com/r?token=secret"}

	// 1 sending and 63 waiting fill the queue of 64 (one sender).
	var errs []error
	within(t, 5*time.Second, func() {
		for range 70 {
			errs = append(errs, a.Send(context.Background(), msg))
		}
	})
	for i, err := range errs {
		if i < 64 {
			assert.NoError(t, err, "message %d", i)
		} else {
			assert.ErrorIs(t, err, notify.ErrQueueFull, "message %d", i)
		}
	}
	assert.Contains(t, logs.String(), "background mail dropped")
	assert.NotContains(t, logs.String(), "secret", "a dropped message's body is never logged")

	// Go, the path forgot-password takes, fails the same way without running fn.
	var ran atomic.Bool
	within(t, time.Second, func() {
		err := a.Go(context.Background(), func(context.Context) error { ran.Store(true); return nil })
		assert.ErrorIs(t, err, notify.ErrQueueFull)
	})

	close(m.release)
	within(t, 5*time.Second, a.Close)
	assert.False(t, ran.Load())
	assert.EqualValues(t, 64, m.sent.Load(), "every queued message is sent")

	// The queue drained: there is room again, and Close flushes again.
	require.NoError(t, a.Send(context.Background(), msg))
	within(t, 5*time.Second, a.Close)
	assert.EqualValues(t, 65, m.sent.Load())
}

func TestAsyncRespectsContext(t *testing.T) {
	m := newBlockingMailer()
	a := notify.NewAsync(m, nil, 1, time.Minute)
	defer func() { close(m.release); a.Close() }()

	t.Run("done before queueing", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := a.Send(ctx, notify.Message{To: "alice@example.com"})
		assert.ErrorIs(t, err, context.Canceled)
	})

	t.Run("the send outlives the request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		require.NoError(t, a.Send(ctx, notify.Message{To: "alice@example.com"}))
		cancel() // the request ends; the mail still goes
		select {
		case <-m.started:
		case <-time.After(5 * time.Second):
			t.Fatal("send never started")
		}
	})
}

func TestAsyncTimeoutBoundsASend(t *testing.T) {
	m := newBlockingMailer() // never released: only the timeout ends the send
	var logs bytes.Buffer
	a := notify.NewAsync(m, slog.New(slog.NewJSONHandler(&logs, nil)), 1, 50*time.Millisecond)
	require.NoError(t, a.Send(context.Background(), notify.Message{To: "alice@example.com"}))
	within(t, 5*time.Second, a.Close)
	assert.Contains(t, logs.String(), "background mail failed")
	assert.Contains(t, logs.String(), "deadline exceeded")
}
