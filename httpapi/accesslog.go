package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// accessLog logs one line per request, at a level that says what it was:
// a server error at Error, a refusal or a bad request (4xx) at Warn, a
// successful change at Info, and a successful read (GET, HEAD, OPTIONS) at
// Debug. Reads are nearly all the traffic and the least worth keeping, so
// a logger at the usual Info level spends nothing on them: the attributes
// are built only for a line that will be written. It logs the path but
// never the query string, which may carry tokens.
func (a *api) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &responseWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		if rw.status == 0 {
			rw.status = http.StatusOK // nothing written: net/http answers 200
		}
		level := accessLevel(r.Method, rw.status)
		if !a.log.Enabled(r.Context(), level) {
			return
		}
		a.log.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", requestID(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rw.status),
			slog.Int("bytes", rw.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("ip", store.RequestFromContext(r.Context()).IP),
		)
	})
}

// accessLevel is the level of the access-log line of a request.
func accessLevel(method string, status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	case method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
