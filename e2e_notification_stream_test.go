package usermgmt_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// sseEvent is one event of a stream, or a comment.
type sseEvent struct {
	Event, ID, Data, Comment string
}

// sseClient reads a stream in the background.
type sseClient struct {
	res    *http.Response
	events chan sseEvent
}

// openStream connects to the notification stream of url with the token;
// hdr are extra header pairs.
func openStream(t *testing.T, url, token string, hdr ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/notifications/stream", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	c := &sseClient{res: res, events: make(chan sseEvent, 64)}
	if res.StatusCode != http.StatusOK {
		close(c.events)
		return c
	}
	go c.read()
	return c
}

func (c *sseClient) read() {
	defer close(c.events)
	defer c.res.Body.Close()
	sc := bufio.NewScanner(c.res.Body)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				c.events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			c.events <- sseEvent{Comment: strings.TrimSpace(line[1:])}
		default:
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch k {
			case "event":
				ev.Event = v
			case "id":
				ev.ID = v
			case "data":
				ev.Data = v
			}
		}
	}
}

// next returns the next event named name, skipping comments and other
// events; it fails after the timeout or when the stream ends.
func (c *sseClient) next(t *testing.T, name string, timeout time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-c.events:
			require.True(t, ok, "the stream ended before a %q event", name)
			if ev.Event == name || (name == "" && ev.Comment != "") {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event within %s", name, timeout)
		}
	}
}

// ended waits for the stream to close and returns the events it sent last.
func (c *sseClient) ended(t *testing.T, timeout time.Duration) []sseEvent {
	t.Helper()
	var got []sseEvent
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("the stream is still open after %s", timeout)
		}
	}
}

type streamEnv struct {
	*e2eEnv
	st    *bunstore.Store
	url   string // a server with a short WriteTimeout, the API under /api/v1
	token string
	uid   string
}

// newStreamEnv serves the API from an http.Server whose WriteTimeout is
// shorter than the tests' streams live, as a host's server may be set.
// Each gets a store of its own on the dialect: the Manager closes it.
func newStreamEnv(t *testing.T, dialect string, poll time.Duration) *streamEnv {
	st := dbtest.Open(t, dialect)
	e := newE2E(t, st, usermgmt.WithRateLimits(httpapi.Limits{}), usermgmt.WithNotificationStream(50*time.Millisecond, poll))
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", e.m.Handler()))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	uid := e.register(t, "ada@example.com")
	tk := e.login(t, "ada@example.com", e2ePassword)
	return &streamEnv{e2eEnv: e, st: st, url: srv.URL + "/api/v1", token: tk.AccessToken, uid: uid}
}

func (e *streamEnv) notify(t *testing.T, st store.Store, title string) {
	t.Helper()
	c := notify.NewCenter(st, nil)
	ok, err := c.Create(store.NewContextWithActor(context.Background(), store.SystemActor), e.uid,
		notify.Notice{Type: "app.test", Title: title})
	require.NoError(t, err)
	require.True(t, ok)
}

func TestE2ENotificationStream(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) { notificationStream(t, d) })
	}
}

func notificationStream(t *testing.T, d string) {
	t.Run("NewNotificationArrivesAtOnce", func(t *testing.T) {
		e := newStreamEnv(t, d, time.Hour) // no polling: only the wake-up can deliver
		c := openStream(t, e.url, e.token)
		require.Equal(t, http.StatusOK, c.res.StatusCode)
		assert.Equal(t, "text/event-stream", c.res.Header.Get("Content-Type"))
		c.next(t, "", 5*time.Second) // a heartbeat: the stream is up
		e.notify(t, e.m.Store(), "hello")
		ev := c.next(t, "notification", 5*time.Second)
		var n map[string]any
		require.NoError(t, json.Unmarshal([]byte(ev.Data), &n))
		assert.Equal(t, "hello", n["title"])
		assert.Equal(t, false, n["read"])
		assert.NotEmpty(t, ev.ID)

		time.Sleep(500 * time.Millisecond) // past the server's WriteTimeout
		e.notify(t, e.m.Store(), "still there")
		ev = c.next(t, "notification", 5*time.Second)
		assert.Contains(t, ev.Data, "still there", "heartbeats moved the write deadline on")
	})

	t.Run("OtherInstanceByPolling", func(t *testing.T) {
		e := newStreamEnv(t, d, 100*time.Millisecond)
		c := openStream(t, e.url, e.token)
		c.next(t, "", 5*time.Second)
		other, err := bunstore.New(e.st.DB()) // its writes are announced to itself only
		require.NoError(t, err)
		e.notify(t, other, "from elsewhere")
		assert.Contains(t, c.next(t, "notification", 5*time.Second).Data, "from elsewhere")
	})

	t.Run("LastEventIDResumes", func(t *testing.T) {
		e := newStreamEnv(t, d, time.Hour)
		c := openStream(t, e.url, e.token)
		c.next(t, "", 5*time.Second)
		e.notify(t, e.m.Store(), "one")
		first := c.next(t, "notification", 5*time.Second)
		e.notify(t, e.m.Store(), "two")
		c.next(t, "notification", 5*time.Second)
		e.notify(t, e.m.Store(), "three")
		c.next(t, "notification", 5*time.Second)

		again := openStream(t, e.url, e.token, "Last-Event-ID", first.ID)
		assert.Contains(t, again.next(t, "notification", 5*time.Second).Data, `"two"`)
		assert.Contains(t, again.next(t, "notification", 5*time.Second).Data, `"three"`)

		bad := openStream(t, e.url, e.token, "Last-Event-ID", "nonsense")
		assert.Equal(t, http.StatusBadRequest, bad.res.StatusCode)
		bad.res.Body.Close()
	})

	t.Run("RevocationEndsIt", func(t *testing.T) {
		e := newStreamEnv(t, d, time.Hour)
		c := openStream(t, e.url, e.token)
		c.next(t, "", 5*time.Second)
		other := e.login(t, "ada@example.com", e2ePassword)
		r := e.post(t, "/sessions/revoke-all", nil, e2eBearer(other.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, r.String())
		last := c.ended(t, 5*time.Second)
		require.NotEmpty(t, last)
		assert.Equal(t, "end", last[len(last)-1].Event)
		assert.Contains(t, last[len(last)-1].Data, "UNAUTHENTICATED")
	})

	t.Run("ExpiryEndsIt", func(t *testing.T) {
		e := newStreamEnv(t, d, 100*time.Millisecond)
		c := openStream(t, e.url, e.token)
		c.next(t, "", 5*time.Second)
		e.clock.Advance(16 * time.Minute)
		last := c.ended(t, 5*time.Second)
		require.NotEmpty(t, last)
		assert.Contains(t, last[len(last)-1].Data, "TOKEN_EXPIRED")
	})

	t.Run("NeedsAToken", func(t *testing.T) {
		e := newStreamEnv(t, d, time.Hour)
		c := openStream(t, e.url, "not-a-token")
		assert.Equal(t, http.StatusUnauthorized, c.res.StatusCode)
		c.res.Body.Close()
	})
}
