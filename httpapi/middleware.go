package httpapi

import (
	"context"
	"encoding/base32"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/internal/textutil"
	"github.com/usermgmt/usermgmt/store"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

func chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var idEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newRequestID returns 26 characters of Crockford base32: a timestamp
// prefix (so ids sort by time, like a ULID) and 80 random bits. Request ids
// must be unique, not secret, so they come from the runtime's fast
// per-thread generator instead of a system call per request.
func newRequestID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(now.UnixMilli())<<16)
	binary.BigEndian.PutUint64(b[8:16], rand.Uint64())
	binary.BigEndian.PutUint16(b[6:8], uint16(rand.Uint32()))
	return idEncoding.EncodeToString(b[:])
}

// validRequestID accepts a caller's X-Request-Id only when it is short and
// plain, so that it is safe to echo and to log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// requestFacts gives every request an id (the caller's X-Request-Id when
// well-formed), echoes it, and records the client IP and user agent for
// audit rows.
func (a *api) requestFacts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID(a.now())
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = store.NewContextWithRequest(ctx, store.Request{
			ID: id, IP: a.clientIP(r), UserAgent: textutil.Truncate(r.UserAgent(), 512),
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientIP is the peer address, or the nearest untrusted address in
// X-Forwarded-For when the peer is a trusted proxy.
func (a *api) clientIP(r *http.Request) string {
	peer := remoteAddr(r.RemoteAddr)
	if !peer.IsValid() {
		return ""
	}
	if !a.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		hop = hop.Unmap()
		if !a.trusted(hop) {
			return hop.String()
		}
		peer = hop
	}
	return peer.String()
}

func (a *api) trusted(ip netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func remoteAddr(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// securityValues are the security headers every response carries. The
// keys are already canonical and the value slices are shared, read-only:
// assigning them costs no allocation on the hot path.
//
// Cache-Control is no-store by default because nearly every answer
// carries personal data or tokens (profiles, sessions, 2FA secrets, roles,
// lists of users); the few public documents (the JWKS, the OpenAPI
// document) set their own, cacheable, value.
var securityValues = map[string][]string{
	"Cache-Control":           {"no-store"},
	"X-Content-Type-Options":  {"nosniff"},
	"X-Frame-Options":         {"DENY"},
	"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'"},
	"Referrer-Policy":         {"no-referrer"},
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range securityValues {
			h[k] = v
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; decodeJSON turns the overflow into 413.
func (a *api) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		limit := a.cfg.BodyLimit
		switch n, upload := a.uploadBodyLimit(r); {
		case r.Method == http.MethodPost && r.URL.Path == importPath:
			limit = a.cfg.ImportLimit
		case upload:
			limit = n
		}
		if r.ContentLength > limit {
			writeProblem(w, r, store.ErrPayloadTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a 500 problem that says nothing of the
// cause, and logs the cause.
func (a *api) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.ErrorContext(r.Context(), "panic", "request_id", requestID(r.Context()),
				"method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			rw, ok := w.(*responseWriter)
			if ok && rw.status != 0 {
				return // headers are gone; the connection will be cut short
			}
			writeProblem(w, r, store.ErrInternal)
		}()
		next.ServeHTTP(w, r)
	})
}

// responseWriter remembers the status and size for the access log.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (to
// flush streamed exports).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
