package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// StreamTiming times the notification stream. Zero fields take the
// defaults.
type StreamTiming struct {
	// Heartbeat is how often the stream sends a comment to keep the
	// connection open. Default: 15 s.
	Heartbeat time.Duration
	// Poll is how often it looks for notifications other instances wrote
	// and checks the token. Default: 2 s.
	Poll time.Duration
}

func (t StreamTiming) withDefaults() StreamTiming {
	if t.Heartbeat <= 0 {
		t.Heartbeat = 15 * time.Second
	}
	if t.Poll <= 0 {
		t.Poll = 2 * time.Second
	}
	return t
}

// streamNotifications serves GET /notifications/stream: Server-Sent
// Events, one "notification" event per new notification, its id resuming
// the stream (Last-Event-ID), and a comment line every heartbeat so that
// proxies keep the connection open. At every wake-up and poll it checks the
// bearer token again, so the stream ends, with an "end" event naming the
// code, within the poll interval of the token expiring or the session
// being revoked (at once when this process revokes it).
//
// The host's http.Server WriteTimeout would cut the stream: each write
// moves the connection's write deadline on through http.ResponseController,
// so a stream lives as long as it is fed, however the server is set.
func (a *api) streamNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	feed, err := a.cfg.Notifications.Follow(ctx, r.Header.Get("Last-Event-ID"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	defer feed.Close()
	token, _ := bearer(r)
	fingerprint := r.Header.Get("X-Device-Fingerprint")
	heartbeat, poll := a.cfg.Stream.Heartbeat, a.cfg.Stream.Poll
	s := &sse{w: w, rc: http.NewResponseController(w), deadline: heartbeat + 10*time.Second}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if !s.write("retry: 3000\n\n") {
		return
	}
	beat, tick := time.NewTicker(heartbeat), time.NewTicker(poll)
	defer beat.Stop()
	defer tick.Stop()
	for {
		if !a.sendNew(r, s, feed) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if !s.write(": heartbeat\n\n") {
				return
			}
			continue
		case <-feed.Wake():
		case <-tick.C:
		}
		if _, err := a.cfg.Auth.Authenticate(ctx, token, fingerprint); err != nil {
			if ctx.Err() == nil {
				s.event("end", "", map[string]string{"code": store.AsError(err).Code})
			}
			return
		}
	}
}

// sendNew writes the feed's new notifications; false when the stream must
// end.
func (a *api) sendNew(r *http.Request, s *sse, feed *notify.Feed) bool {
	for {
		items, err := feed.Next(r.Context())
		if err != nil {
			if r.Context().Err() == nil {
				a.log.ErrorContext(r.Context(), "notification stream failed", "request_id", requestID(r.Context()), "err", err)
			}
			return false
		}
		for _, it := range items {
			if !s.event("notification", it.ID, toNotificationJSON(it.Notification)) {
				return false
			}
		}
		if len(items) < notify.FeedBatch {
			return true
		}
	}
}

// sse writes Server-Sent Events, flushing each and moving the write
// deadline on before it.
type sse struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	deadline time.Duration
}

func (s *sse) write(text string) bool {
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.deadline)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return false
	}
	if _, err := io.WriteString(s.w, text); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

func (s *sse) event(name, id string, v any) bool {
	data, err := json.Marshal(v)
	if err != nil {
		return false
	}
	text := "event: " + name + "\n"
	if id != "" {
		text += "id: " + id + "\n"
	}
	return s.write(text + fmt.Sprintf("data: %s\n\n", data))
}
