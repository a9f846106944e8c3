package usermgmt_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/ratelimit"
)

// TestE2ELockout locks identifiers after five wrong passwords, known or
// not, with answers that do not tell the two apart.
func TestE2ELockout(t *testing.T) {
	lim := httpapi.DefaultLimits()
	// The lockout, not the per-identifier rate limit, must answer here.
	lim.LoginPerIdentifier = ratelimit.Limit{Requests: 1000, Window: time.Minute}
	e := newE2E(t, nil, usermgmt.WithRateLimits(lim))
	const known = "locked@example.com"
	r := e.post(t, "/auth/register", map[string]any{"email": known, "password": e2ePassword, "username": "lock-me"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r)
	e.register(t, "bystander@example.com")

	type outcome struct {
		statuses   []int
		codes      []string
		detail     string
		retryAfter int
	}
	attempt := func(t *testing.T, ident, password string) *e2eResp {
		return e.post(t, "/auth/login", map[string]any{"identifier": ident, "password": password})
	}
	lockOut := func(t *testing.T, ident string) outcome {
		var o outcome
		for i := range 5 {
			r := attempt(t, ident, "wrong-password-"+strconv.Itoa(i))
			p := e2eCheckProblem(t, r, 401, "INVALID_CREDENTIALS")
			o.statuses, o.codes = append(o.statuses, r.Status), append(o.codes, p.Code)
		}
		// The sixth attempt, with the right password, is refused.
		r := attempt(t, ident, e2ePassword)
		p := e2eCheckProblem(t, r, 423, "ACCOUNT_LOCKED")
		o.statuses, o.codes, o.detail = append(o.statuses, r.Status), append(o.codes, p.Code), p.Detail
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After"))
		assert.True(t, ra > 0 && ra <= 15*60+1, "Retry-After %d", ra)
		o.retryAfter = ra
		// And so is a wrong one, still 423 (no more oracle for guesses).
		e2eCheckProblem(t, attempt(t, ident, "wrong-again-123"), 423, "ACCOUNT_LOCKED")
		return o
	}

	knownOut := lockOut(t, known)
	unknownOut := lockOut(t, "nobody-here@example.com")
	usernameOut := lockOut(t, "no-such-user")
	assert.Equal(t, knownOut, unknownOut, "a lock says nothing about existence")
	assert.Equal(t, knownOut, usernameOut)

	t.Run("UsernameLocksTheAccount", func(t *testing.T) {
		// Failures by username count for the account, so switching to the
		// email does not get around the lock.
		r := e.post(t, "/auth/register", map[string]any{"email": "by-name@example.com", "password": e2ePassword, "username": "name-lock"})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r)
		for i := range 5 {
			e2eCheckProblem(t, attempt(t, "Name-Lock", "wrong-password-"+strconv.Itoa(i)), 401, "INVALID_CREDENTIALS")
		}
		e2eCheckProblem(t, attempt(t, "by-name@example.com", e2ePassword), 423, "ACCOUNT_LOCKED")
	})

	t.Run("OtherAccountsUnaffected", func(t *testing.T) {
		e.login(t, "bystander@example.com", e2ePassword)
	})

	t.Run("LockEnds", func(t *testing.T) {
		e.clock.Advance(15*time.Minute + time.Second)
		e.login(t, known, e2ePassword)
		e.login(t, "lock-me", e2ePassword)
		// A success clears the count: four more failures do not lock.
		for i := range 4 {
			e2eCheckProblem(t, attempt(t, known, "wrong-password-"+strconv.Itoa(i)), 401, "INVALID_CREDENTIALS")
		}
		e.login(t, known, e2ePassword)
	})
}

// TestE2ERateLimit checks the per-client limit and the per-address mail
// limit.
func TestE2ERateLimit(t *testing.T) {
	t.Run("PerClient", func(t *testing.T) {
		e := newE2E(t, nil, usermgmt.WithRateLimit(5))
		for i := 1; i <= 5; i++ {
			r := e.get(t, "/auth/check-email?email=someone@example.com")
			require.Equal(t, http.StatusOK, r.Status, "request %d: %s", i, r)
			assert.Equal(t, "5", r.Header.Get("RateLimit-Limit"))
			assert.Equal(t, strconv.Itoa(5-i), r.Header.Get("RateLimit-Remaining"), "request %d", i)
			assert.NotEmpty(t, r.Header.Get("RateLimit-Reset"))
		}
		for _, req := range []struct{ method, path string }{
			{"GET", "/auth/check-email?email=someone@example.com"},
			{"POST", "/auth/login"},
			{"GET", "/openapi.json"},
			{"GET", "/no/such/route"},
		} {
			r := e.do(t, req.method, req.path, map[string]any{"identifier": "a@example.com", "password": "x"})
			e2eCheckProblem(t, r, 429, "RATE_LIMITED")
			ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if assert.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After")) {
				assert.True(t, ra >= 1 && ra <= 60, "Retry-After %d", ra)
			}
			assert.Equal(t, "5", r.Header.Get("RateLimit-Limit"))
			assert.Equal(t, "0", r.Header.Get("RateLimit-Remaining"))
			reset, err := strconv.Atoi(r.Header.Get("RateLimit-Reset"))
			if assert.NoError(t, err) {
				assert.True(t, reset >= 0 && reset <= 60, "RateLimit-Reset %d", reset)
			}
		}
		// The probes are never limited.
		for i := 0; i < 20; i++ {
			for _, probe := range []string{"/health", "/live", "/ready"} {
				r := e.get(t, probe)
				require.Equal(t, http.StatusOK, r.Status, "%s: %s", probe, r)
				assert.Empty(t, r.Header.Get("RateLimit-Limit"), probe)
			}
		}
		// The window refills.
		e.clock.Advance(time.Minute)
		assert.Equal(t, http.StatusOK, e.get(t, "/auth/check-email?email=someone@example.com").Status)
	})

	t.Run("ForwardedFor", func(t *testing.T) {
		cases := []struct {
			name    string
			proxies []string
			xff     func(i int) string
		}{
			// Without trusted proxies the header is not believed.
			{"Untrusted", nil, func(i int) string { return "198.51.100." + strconv.Itoa(i) }},
			// Behind a trusted proxy the client can prepend anything; the
			// proxy's own entry is what counts.
			{"SpoofedPrefix", []string{"127.0.0.1"}, func(i int) string { return "198.51.100." + strconv.Itoa(i) + ", 203.0.113.7" }},
			// An IPv6 client holds a whole /64: its addresses share a budget.
			{"IPv6Slash64", []string{"127.0.0.1"}, func(i int) string { return "2001:db8:1:2::" + strconv.Itoa(i+1) }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newE2E(t, nil, usermgmt.WithRateLimit(5), usermgmt.WithTrustedProxies(tc.proxies...))
				statuses := map[int]int{}
				for i := range 8 {
					statuses[e.get(t, "/auth/check-email?email=someone@example.com", "X-Forwarded-For", tc.xff(i)).Status]++
				}
				assert.Equal(t, map[int]int{200: 5, 429: 3}, statuses)
			})
		}
		t.Run("IPv6OtherSlash64", func(t *testing.T) {
			e := newE2E(t, nil, usermgmt.WithRateLimit(1), usermgmt.WithTrustedProxies("127.0.0.1"))
			assert.Equal(t, http.StatusOK, e.get(t, "/health/detailed", "X-Forwarded-For", "2001:db8:1:2::1").Status)
			assert.Equal(t, http.StatusTooManyRequests, e.get(t, "/health/detailed", "X-Forwarded-For", "2001:db8:1:2::2").Status)
			assert.Equal(t, http.StatusOK, e.get(t, "/health/detailed", "X-Forwarded-For", "2001:db8:1:3::1").Status)
		})
	})

	t.Run("MailPerAddress", func(t *testing.T) {
		e := newE2E(t, nil)
		const addr = "flood@example.com"
		e.register(t, addr)
		for i := 0; i < 3; i++ {
			r := e.post(t, "/auth/forgot-password", map[string]any{"email": addr})
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r)
		}
		// The same address in another spelling is the same address.
		r := e.post(t, "/auth/forgot-password", map[string]any{"email": " Flood@Example.COM"})
		e2eCheckProblem(t, r, 429, "RATE_LIMITED")
		assert.NotEmpty(t, r.Header.Get("Retry-After"))
		// Other addresses, and the other mail route, have their own budget.
		assert.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": "other@example.com"}).Status)
		assert.Equal(t, http.StatusAccepted, e.post(t, "/auth/resend-verification", map[string]any{"email": addr}).Status)
		// At most three reset mails went out.
		e.mail.next(t, addr, "Confirm your email address", 10*time.Second)
		for i := 0; i < 3; i++ {
			e.mail.next(t, addr, "Reset your password", 10*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
		assert.Equal(t, 3, e.mail.countSubject(addr, "Reset your password"))
		// After the window, the address may ask again.
		e.clock.Advance(15 * time.Minute)
		assert.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": addr}).Status)
	})
}
