package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAccessLevel(t *testing.T) {
	tests := []struct {
		method string
		status int
		want   slog.Level
	}{
		{"GET", 200, slog.LevelDebug},
		{"HEAD", 304, slog.LevelDebug},
		{"OPTIONS", 204, slog.LevelDebug},
		{"POST", 201, slog.LevelInfo},
		{"DELETE", 204, slog.LevelInfo},
		{"GET", 401, slog.LevelWarn},
		{"GET", 403, slog.LevelWarn},
		{"POST", 429, slog.LevelWarn},
		{"GET", 500, slog.LevelError},
		{"POST", 503, slog.LevelError},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, accessLevel(tc.method, tc.status), "%s %d", tc.method, tc.status)
	}
}

// TestAccessLogAtInfo: at the usual level, successful reads leave no
// line; refusals and errors always do.
func TestAccessLogAtInfo(t *testing.T) {
	var buf bytes.Buffer
	a := &api{log: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	h := a.accessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/denied":
			w.WriteHeader(http.StatusForbidden)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	for _, tc := range []struct {
		method, path string
		logged       bool
	}{
		{"GET", "/profile", false},
		{"POST", "/profile", true},
		{"GET", "/denied", true},
		{"GET", "/broken", true},
	} {
		buf.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path+"?token=secret", nil))
		assert.Equal(t, tc.logged, buf.Len() > 0, "%s %s: %s", tc.method, tc.path, buf.String())
		assert.NotContains(t, buf.String(), "secret", "the query string is never logged")
	}
}

// BenchmarkAccessLog measures the access log around a handler that does
// nothing, with the example server's JSON logger at Info: a successful
// read (not logged) and a refusal (logged).
func BenchmarkAccessLog(b *testing.B) {
	a := &api{log: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	for _, bc := range []struct {
		name   string
		status int
	}{{"Read200", http.StatusOK}, {"Refusal403", http.StatusForbidden}} {
		h := a.accessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(bc.status) }))
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/users/profile", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h.ServeHTTP(w, req)
			}
		})
	}
}
