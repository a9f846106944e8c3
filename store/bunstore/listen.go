package bunstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/usermgmt/usermgmt/store"
)

// Backoff of the notification connection after a failure.
const (
	listenBackoffMin = 50 * time.Millisecond
	listenBackoffMax = 5 * time.Second
	// listenCheckEvery is how often a quiet connection is checked, so that
	// a connection cut without a word (a dead peer) is found.
	listenCheckEvery = 30 * time.Second
	// listenFirstWithin bounds how long New waits for the first LISTEN.
	listenFirstWithin = 2 * time.Second
)

// listener hears the changes other instances on the same PostgreSQL
// schema commit, on a connection of its own (LISTEN), and announces them
// to this process's subscribers. When the connection fails it reconnects
// with backoff and, once listening again, announces store.ChangesMissed:
// notices sent while it was away are lost, so caches drop everything.
// Until then the session staleness bound still holds.
type listener struct {
	s        *Store
	ln       *pgdriver.Listener
	instance string
	cancel   context.CancelFunc
	done     chan struct{}
	// cut is the test hook of CutNotifications: while set, notices are
	// dropped and the connection is not taken up again.
	cut atomic.Bool
}

// startListener listens on PostgreSQL through pgdriver; other drivers
// have no LISTEN, and their instances rely on the staleness bound. The
// first LISTEN is tried before New returns, so that nothing can be cached
// before this store hears changes; when it fails, the background loop
// keeps trying.
func (s *Store) startListener(db *bun.DB) {
	if _, ok := db.Driver().(pgdriver.Driver); !ok {
		return
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{s: s, ln: pgdriver.NewListener(db), instance: hex.EncodeToString(id[:]), cancel: cancel, done: make(chan struct{})}
	s.listener = l
	first, cancelFirst := context.WithTimeout(ctx, listenFirstWithin)
	channel, err := l.listen(first)
	cancelFirst()
	go l.run(ctx, channel, err == nil)
}

// stop ends the listener and waits for it.
func (l *listener) stop() {
	l.cancel()
	_ = l.ln.Close()
	<-l.done
}

// run receives on channel when listening already, and otherwise (or
// once the connection fails) reconnects with backoff.
func (l *listener) run(ctx context.Context, channel string, listening bool) {
	defer close(l.done)
	if listening {
		l.receive(ctx, channel)
	}
	backoff := listenBackoffMin
	for ctx.Err() == nil {
		var err error
		channel, err = l.listen(ctx)
		if err != nil {
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, listenBackoffMax)
			continue
		}
		backoff = listenBackoffMin
		l.s.changes.publish(store.Change{Kind: store.ChangesMissed})
		l.receive(ctx, channel)
	}
}

// listen (re)connects and starts listening, returning the channel name.
func (l *listener) listen(ctx context.Context) (string, error) {
	if l.cut.Load() {
		return "", errors.New("notifications cut")
	}
	var channel string
	if err := l.s.db.NewRaw("SELECT "+notifyChannelSQL).Scan(ctx, &channel); err != nil {
		return "", err
	}
	return channel, l.ln.Listen(ctx, channel)
}

// receive announces notices until the connection fails.
func (l *listener) receive(ctx context.Context, channel string) {
	for ctx.Err() == nil && !l.cut.Load() {
		ch, payload, err := l.ln.ReceiveTimeout(ctx, listenCheckEvery)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			// Quiet: LISTEN again, which fails on a dead connection.
			if err := l.ln.Listen(ctx, channel); err != nil {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		if l.cut.Load() {
			return
		}
		if ch != channel {
			continue
		}
		if changes, ok := decodeChanges(l.instance, payload); ok {
			l.s.changes.publish(changes...)
		}
	}
}

// CutNotifications closes the connection on which this store hears other
// instances' changes and keeps it closed, as a network fault would, until
// restore is called; the listener then takes it up again within its
// backoff (at most 5 s) and drops every cache. It is for tests of what
// holds without notices: the session staleness bound. On a store without a listener (SQLite, or a
// driver other than pgdriver) it does nothing.
func (s *Store) CutNotifications() (restore func()) {
	l := s.listener
	if l == nil {
		return func() {}
	}
	l.cut.Store(true)
	return func() { l.cut.Store(false) }
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
