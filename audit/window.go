package audit

import (
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// DefaultWindow is how far back Stats and Analytics look when the window
// names no start.
const DefaultWindow = 30 * 24 * time.Hour

// Window is a time range [From, To). Zero ends take the defaults: To is
// now, entries written at this very instant included; From is
// DefaultWindow before To.
type Window struct {
	From, To time.Time
}

// resolve fills in the defaults and checks the order.
func (w Window) resolve(now time.Time) (Window, error) {
	if w.From.IsZero() {
		end := now
		if !w.To.IsZero() {
			end = w.To
		}
		w.From = end.Add(-DefaultWindow)
	}
	if w.To.IsZero() {
		// One microsecond on, the finest time PostgreSQL keeps, so that
		// an entry of this instant is inside the half-open window.
		w.To = now.Add(time.Microsecond)
	}
	w.From, w.To = w.From.UTC(), w.To.UTC()
	if !w.From.Before(w.To) {
		return w, store.Validation(store.FieldError{Field: "from", Message: "must be before to"})
	}
	return w, nil
}
