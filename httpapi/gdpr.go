package httpapi

import (
	"errors"
	"net/http"
)

// exportAccount streams the caller's data export as a JSON attachment.
// The headers go out with the first byte, so an error before it is an
// ordinary problem document; one after it cuts the connection short, so
// that a client never takes a truncated file for a complete one.
func (a *api) exportAccount(w http.ResponseWriter, r *http.Request) {
	lw := &lazyAttachment{w: w, contentType: "application/json", filename: "account-export.json"}
	err := a.cfg.GDPR.Export(r.Context(), principal(r).UserID, lw)
	switch {
	case err == nil && !lw.started:
		lw.start()
	case err != nil && !lw.started:
		a.problem(w, r, err)
	case err != nil:
		a.log.ErrorContext(r.Context(), "account export failed", "request_id", requestID(r.Context()), "err", err)
		panic(http.ErrAbortHandler)
	}
}

// lazyAttachment writes an export's headers before its first byte, so
// that an export failing before it wrote anything can still answer a
// problem.
type lazyAttachment struct {
	w           http.ResponseWriter
	contentType string
	filename    string
	started     bool
}

func (l *lazyAttachment) start() {
	l.started = true
	h := l.w.Header()
	h.Set("Content-Type", l.contentType)
	h.Set("Content-Disposition", `attachment; filename="`+l.filename+`"`)
	h.Set("Cache-Control", "no-store")
	l.w.WriteHeader(http.StatusOK)
}

func (l *lazyAttachment) Write(p []byte) (int, error) {
	if !l.started {
		l.start()
	}
	return l.w.Write(p)
}

// flush sends what was written so far to the client, once the export has
// started (flushing earlier would send the headers).
func (l *lazyAttachment) flush() error {
	if !l.started {
		return nil
	}
	if err := http.NewResponseController(l.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
