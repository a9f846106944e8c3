package events_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store"
)

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// receiver is a webhook endpoint that verifies every request, refuses the
// first `refuse` verified ones with 503, and keeps the rest.
type receiver struct {
	mu       sync.Mutex
	refuse   int
	bodies   []map[string]any
	rejected int
	requests []*http.Request
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests = append(rc.requests, r)
	if err := events.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
		rc.rejected++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if rc.refuse > 0 {
		rc.refuse--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.bodies = append(rc.bodies, m)
}

func TestWebhookDeliversSignedEventsWithRetries(t *testing.T) {
	st := dbtest.SQLite(t)
	rc := &receiver{refuse: 2}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	wh, err := events.NewWebhook(srv.URL+"/hooks", secret, events.WebhookOptions{})
	require.NoError(t, err)
	clock := testkit.NewClock(start)
	d := newDispatcher(t, st, clock, wh)
	emit(t, st, clock, ada, events.UserUpdated{Fields: []string{"bio"}})
	for i := 0; i < 3; i++ {
		mustDeliver(t, d)
		clock.Advance(time.Minute)
	}
	require.Len(t, rc.bodies, 1, "refused twice, then delivered once")
	assert.Zero(t, rc.rejected, "every request verifies")
	b := rc.bodies[0]
	assert.Equal(t, "user.updated", b["type"])
	assert.Equal(t, start.Format(time.RFC3339), b["timestamp"])
	assert.Equal(t, map[string]any{"userId": ada, "actorId": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"fields": []any{"bio"}}, b["data"])
	ids := map[string]bool{}
	for _, r := range rc.requests {
		ids[r.Header.Get(events.HeaderWebhookID)] = true
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	}
	assert.Equal(t, map[string]bool{b["id"].(string): true}, ids, "the same webhook-id on every attempt")
}

func TestVerifyRefusesForgeriesAndReplays(t *testing.T) {
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r.Header.Clone(), must(io.ReadAll(r.Body))
	}))
	defer srv.Close()
	sent := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	wh, err := events.NewWebhook(srv.URL, secret, events.WebhookOptions{Now: func() time.Time { return sent }})
	require.NoError(t, err)
	require.NoError(t, wh.HandleEvent(t.Context(), events.Event{ID: "msg_1", Name: store.EventUserDeactivated, UserID: ada, OccurredAt: sent}))
	require.NoError(t, events.Verify(secret, got, body, sent.Add(time.Minute), 0), "the genuine request")

	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-key-another-key-another"))
	tampered := []byte(strings.Replace(string(body), ada, bob, 1))
	withHeader := func(k, v string) http.Header { h := got.Clone(); h.Set(k, v); return h }
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
	}{
		{"wrong secret", other, got, body, sent},
		{"tampered body", secret, got, tampered, sent},
		{"replayed later", secret, got, body, sent.Add(6 * time.Minute)},
		{"from the future", secret, got, body, sent.Add(-6 * time.Minute)},
		{"timestamp moved", secret, withHeader(events.HeaderWebhookTimestamp, "1893456060"), body, sent},
		{"id changed", secret, withHeader(events.HeaderWebhookID, "msg_2"), body, sent},
		{"no signature", secret, withHeader(events.HeaderWebhookSignature, ""), body, sent},
		{"other version", secret, withHeader(events.HeaderWebhookSignature, "v2,"+strings.TrimPrefix(got.Get(events.HeaderWebhookSignature), "v1,")), body, sent},
		{"no timestamp", secret, withHeader(events.HeaderWebhookTimestamp, ""), body, sent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, events.Verify(tc.secret, tc.h, tc.body, tc.now, 0), events.ErrInvalidSignature)
		})
	}
	t.Run("one of several signatures", func(t *testing.T) {
		h := withHeader(events.HeaderWebhookSignature, "v1,bm90IGl0 "+got.Get(events.HeaderWebhookSignature))
		assert.NoError(t, events.Verify(secret, h, body, sent, 0))
	})
}

func TestNewWebhookRefusesBadConfiguration(t *testing.T) {
	for _, tc := range []struct{ url, secret string }{
		{"ftp://example.com/hook", secret},
		{"/relative", secret},
		{"https://example.com/hook", "not-a-secret"},
		{"https://example.com/hook", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))},
		{"https://example.com/hook", "whsec_!!!"},
	} {
		_, err := events.NewWebhook(tc.url, tc.secret, events.WebhookOptions{})
		assert.Error(t, err, "%s %s", tc.url, tc.secret)
	}
}

func TestWebhookRedirectAndTimeoutFail(t *testing.T) {
	redirect := httptest.NewServer(http.RedirectHandler("https://example.com/", http.StatusFound))
	defer redirect.Close()
	wh, err := events.NewWebhook(redirect.URL, secret, events.WebhookOptions{})
	require.NoError(t, err)
	assert.ErrorContains(t, wh.HandleEvent(t.Context(), events.Event{ID: "a"}), "302", "a redirect is not followed")

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	wh, err = events.NewWebhook(slow.URL, secret, events.WebhookOptions{Timeout: 50 * time.Millisecond})
	require.NoError(t, err)
	assert.Error(t, wh.HandleEvent(t.Context(), events.Event{ID: "b"}), "timed out")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
