package bunstore

import (
	"context"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// changeHub delivers committed changes to this process's subscribers.
type changeHub struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(store.Change)
}

// Subscribe implements store.Changes.
func (s *Store) Subscribe(fn func(store.Change)) (cancel func()) {
	h := &s.changes
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = make(map[int]func(store.Change))
	}
	id := h.next
	h.next++
	h.subs[id] = fn
	return func() {
		h.mu.Lock()
		delete(h.subs, id)
		h.mu.Unlock()
	}
}

func (h *changeHub) publish(changes ...store.Change) {
	if len(changes) == 0 {
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range changes {
		for _, fn := range h.subs {
			fn(c)
		}
	}
}

// pending collects the changes of one transaction attempt until it
// commits.
type pending struct {
	mu      sync.Mutex
	changes []store.Change
}

// changed announces c: at once outside a transaction (here and, on
// PostgreSQL, to other instances), after the commit inside one.
func (r repos) changed(c store.Change) {
	if r.pending == nil {
		r.s.changes.publish(c)
		r.s.notifyNow(c)
		return
	}
	r.pending.mu.Lock()
	r.pending.changes = append(r.pending.changes, c)
	r.pending.mu.Unlock()
}

// changedIf announces c when err is nil.
func (r repos) changedIf(err error, c store.Change) {
	if err == nil {
		r.changed(c)
	}
}

// notifyNow tells other instances of c, a change already committed by a
// statement outside a transaction. The write's callers have no context
// here, so it has its own short one; a notice lost to a failure is
// covered by the session staleness bound.
func (s *Store) notifyNow(c store.Change) {
	if s.listener == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	_ = s.notify(ctx, s.db, []store.Change{c})
}

// notifyTimeout bounds a notice sent outside a transaction.
const notifyTimeout = 2 * time.Second
