package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CORS says which browser origins may call the API with credentials. The
// zero value allows none: a browser on another origin can then neither
// read answers nor send JSON.
type CORS struct {
	// Origins are the exact origins allowed, each scheme://host[:port]
	// ("https://app.example.com"). There is no wildcard: answers carry
	// tokens and personal data, and go out with
	// Access-Control-Allow-Credentials.
	Origins []string
	// MaxAge is how long a browser may reuse a preflight answer.
	// Default: 10 minutes.
	MaxAge time.Duration
}

// Values of the CORS headers; the request headers and the exposed headers
// are all the API reads and sends beyond the CORS-safelisted ones.
const (
	corsMethods       = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders       = "Authorization, Content-Type, X-Device-Fingerprint, X-Request-Id"
	corsExpose        = "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
	defaultCORSMaxAge = 10 * time.Minute
)

// cors answers preflights from allowed origins with 204, before any
// authentication or rate limiting (a browser sends no bearer token on a
// preflight), and marks actual answers to those origins as readable.
// Requests from other origins get no CORS headers and so stay unreadable
// to the page that sent them.
func (a *api) cors(next http.Handler) http.Handler {
	if len(a.cfg.CORS.Origins) == 0 {
		return next
	}
	allowed := make(map[string]bool, len(a.cfg.CORS.Origins))
	for _, o := range a.cfg.CORS.Origins {
		allowed[strings.ToLower(o)] = true
	}
	maxAge := a.cfg.CORS.MaxAge
	if maxAge <= 0 {
		maxAge = defaultCORSMaxAge
	}
	age := strconv.Itoa(int(maxAge / time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || !allowed[strings.ToLower(origin)] {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", age)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExpose)
		next.ServeHTTP(w, r)
	})
}
