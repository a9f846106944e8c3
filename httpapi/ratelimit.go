package httpapi

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/ratelimit"
	"github.com/usermgmt/usermgmt/store"
)

// Limits are the request limits the API applies. A limit with zero
// Requests is off, so the zero Limits turns off every limit, the tight
// per-route ones included.
type Limits struct {
	// PerClient applies to every route but the probes, per client IP.
	PerClient ratelimit.Limit
	// The tighter limits of the routes that sign in, create accounts, send
	// mail or answer "is this taken?", keyed per identifier (the email or
	// login name in the body) and per client IP.
	LoginPerIdentifier ratelimit.Limit
	LoginPerIP         ratelimit.Limit
	RegisterPerIP      ratelimit.Limit
	MailPerAddress     ratelimit.Limit
	MailPerIP          ratelimit.Limit
	CheckPerIP         ratelimit.Limit
	MFAPerChallenge    ratelimit.Limit
}

// DefaultLimits returns the limits used when Config.Limits is nil. Sign-up
// and sign-in allow 30 requests per 5 minutes per IP, as Supabase Auth
// does by default: enough for an office behind one NAT address, too few
// for guessing. The zero Limits, by contrast, turns every limit off.
func DefaultLimits() Limits {
	per := func(n int, d time.Duration) ratelimit.Limit { return ratelimit.Limit{Requests: n, Window: d} }
	return Limits{
		PerClient:          per(100, time.Minute),
		LoginPerIdentifier: per(10, 5*time.Minute),
		LoginPerIP:         per(30, 5*time.Minute),
		RegisterPerIP:      per(30, 5*time.Minute),
		MailPerAddress:     per(3, 15*time.Minute),
		MailPerIP:          per(20, time.Hour),
		CheckPerIP:         per(30, time.Minute),
		MFAPerChallenge:    per(10, 5*time.Minute),
	}
}

// unlimitedPaths are the probes, which orchestrators call often and which
// must answer even under a flood.
var unlimitedPaths = map[string]bool{"/health": true, "/live": true, "/ready": true}

// rateLimit applies the per-client limit and sends the RateLimit-*
// headers.
func (a *api) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lim := a.cfg.Limits.PerClient
		if lim.Off() || unlimitedPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		d, err := a.cfg.Limiter.Allow(r.Context(), "client:"+limitIP(store.RequestFromContext(r.Context()).IP), lim)
		if err != nil {
			// A broken limiter must not take the API down; log and serve.
			a.log.ErrorContext(r.Context(), "rate limiter failed", "err", err)
			next.ServeHTTP(w, r)
			return
		}
		setRateLimitHeaders(w.Header(), d)
		if !d.Allowed {
			a.tooMany(w, r, d)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitIdentity applies a route's tight limits: per identifier when one
// is given and per client IP. It answers 429 itself and reports false when
// a limit is exceeded.
func (a *api) limitIdentity(w http.ResponseWriter, r *http.Request, scope, identifier string) bool {
	l := *a.cfg.Limits
	ip := limitIP(store.RequestFromContext(r.Context()).IP)
	identifier = strings.ToLower(strings.TrimSpace(identifier))
	type check struct {
		key   string
		limit ratelimit.Limit
	}
	var checks []check
	switch scope {
	case "login":
		checks = []check{{"login:id:" + identifier, l.LoginPerIdentifier}, {"login:ip:" + ip, l.LoginPerIP}}
	case "register":
		checks = []check{{"register:ip:" + ip, l.RegisterPerIP}}
	case "forgot", "resend":
		checks = []check{{scope + ":addr:" + identifier, l.MailPerAddress}, {scope + ":ip:" + ip, l.MailPerIP}}
	case "check":
		checks = []check{{"check:ip:" + ip, l.CheckPerIP}}
	case "mfa":
		checks = []check{{"mfa:" + identifier, l.MFAPerChallenge}}
	}
	for _, c := range checks {
		if c.limit.Off() || strings.HasSuffix(c.key, ":") {
			continue
		}
		d, err := a.cfg.SharedLimiter.Allow(r.Context(), c.key, c.limit)
		if err != nil {
			a.problem(w, r, err)
			return false
		}
		if !d.Allowed {
			// The refusal describes the limit that refused, not the
			// API-wide one rateLimit already reported.
			setRateLimitHeaders(w.Header(), d)
			a.tooMany(w, r, d)
			return false
		}
	}
	return true
}

// limitIP is the rate-limit key of a client address: an IPv4 address as
// is, an IPv6 address as its /64, since one host usually holds a whole /64
// and could otherwise use a fresh address, and budget, per request.
func limitIP(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is6() || addr.Is4In6() {
		return ip
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}

// setRateLimitHeaders reports a limit's state in the RateLimit-* headers.
func setRateLimitHeaders(h http.Header, d ratelimit.Decision) {
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.Reset)))
}

func (a *api) tooMany(w http.ResponseWriter, r *http.Request, d ratelimit.Decision) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(d.RetryAfter))))
	writeProblem(w, r, store.ErrRateLimited)
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
