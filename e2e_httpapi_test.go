package usermgmt_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/ratelimit"
)

// TestE2ECacheControl checks that answers carrying personal data or
// tokens, including routes not served yet and errors, say no-store, and
// that only the public documents are cacheable.
func TestE2ECacheControl(t *testing.T) {
	e := newRBACEnv(t, nil)
	user, admin := e2eBearer(e.user), e2eBearer(e.admin)
	for _, tc := range []struct {
		name, method, path string
		hdr                []string
		status             int
		want               string
	}{
		{"Profile", "GET", "/users/profile", user, 200, "no-store"},
		{"Sessions", "GET", "/sessions", user, 200, "no-store"},
		{"TwoFAStatus", "GET", "/2fa/status", user, 200, "no-store"},
		{"RolesOfAUser", "GET", "/roles/user/" + e.userID, admin, 200, "no-store"},
		{"Roles", "GET", "/roles", admin, 200, "no-store"},
		{"CheckEmail", "GET", "/auth/check-email?email=x@example.com", nil, 200, "no-store"},
		{"Forbidden", "GET", "/roles", user, 403, "no-store"},
		{"Unauthenticated", "GET", "/users/profile", nil, 401, "no-store"},
		// Routes of other parts of the API, served or not yet: whatever
		// they answer is not cached.
		{"Account", "GET", "/account/export", user, 0, "no-store"},
		{"Admin", "GET", "/admin/users", admin, 0, "no-store"},
		{"Audit", "GET", "/audit", admin, 0, "no-store"},
		{"Notifications", "GET", "/notifications", user, 0, "no-store"},
		{"PublicProfile", "GET", "/users/someone", nil, 0, "no-store"},
		{"HealthDetailed", "GET", "/health/detailed", nil, 200, "no-store"},
		{"JWKS", "GET", "/.well-known/jwks.json", nil, 200, "public, max-age=300"},
		{"OpenAPI", "GET", "/openapi.json", nil, 200, "public, max-age=300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, nil, tc.hdr...)
			if tc.status != 0 {
				require.Equal(t, tc.status, r.Status, "%s", r)
			}
			assert.Equal(t, tc.want, r.Header.Get("Cache-Control"))
		})
	}
	t.Run("Login", func(t *testing.T) {
		r := e.post(t, "/auth/login", map[string]any{"identifier": "user@example.com", "password": e2ePassword})
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	})
}

// TestE2ETightLimitHeaders checks that a 429 from a per-route limit
// reports that limit in its RateLimit-* and Retry-After headers, not the
// API-wide one.
func TestE2ETightLimitHeaders(t *testing.T) {
	lim := httpapi.DefaultLimits()
	lim.PerClient = ratelimit.Limit{Requests: 100, Window: time.Minute}
	lim.CheckPerIP = ratelimit.Limit{Requests: 2, Window: 10 * time.Minute}
	lim.LoginPerIdentifier = ratelimit.Limit{Requests: 3, Window: 5 * time.Minute}
	e := newE2E(t, nil, usermgmt.WithRateLimits(lim))
	// The store's windows are aligned to the clock: start at the
	// beginning of a 10-minute window (and so of a 5-minute one), so that
	// the tight windows' resets are unmistakably longer than a minute.
	e.clock.Set(e.clock.Now().Truncate(10 * time.Minute).Add(10 * time.Minute))

	for _, tc := range []struct {
		name    string
		send    func() *e2eResp
		allowed int
		limit   string
		window  int
	}{
		{"Check", func() *e2eResp { return e.get(t, "/auth/check-email?email=x@example.com") }, 2, "2", 600},
		{"LoginPerIdentifier", func() *e2eResp {
			return e.post(t, "/auth/login", map[string]any{"identifier": "nobody@example.com", "password": "wrong-password-1"})
		}, 3, "3", 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < tc.allowed; i++ {
				r := tc.send()
				require.NotEqual(t, http.StatusTooManyRequests, r.Status, "request %d: %s", i+1, r)
				assert.Equal(t, "100", r.Header.Get("RateLimit-Limit"), "an allowed request reports the API-wide limit")
			}
			r := tc.send()
			e2eCheckProblem(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
			assert.Equal(t, tc.limit, r.Header.Get("RateLimit-Limit"))
			assert.Equal(t, "0", r.Header.Get("RateLimit-Remaining"))
			reset, err := strconv.Atoi(r.Header.Get("RateLimit-Reset"))
			require.NoError(t, err)
			assert.True(t, reset > 60 && reset <= tc.window, "RateLimit-Reset %d is the tight window's", reset)
			ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
			require.NoError(t, err)
			assert.True(t, ra > 60 && ra <= tc.window, "Retry-After %d is the tight window's", ra)
		})
	}
}

// TestE2ELimitsOff checks that the zero Limits turn off every limit, the
// tight per-route ones too, as the example server does for
// USERMGMT_RATE_LIMIT=0.
func TestE2ELimitsOff(t *testing.T) {
	e := newE2E(t, nil, usermgmt.WithRateLimits(httpapi.Limits{}))
	const email = "no-limits@example.com"
	e.register(t, email)
	def := httpapi.DefaultLimits()
	for _, tc := range []struct {
		name string
		n    int
		send func(i int) *e2eResp
	}{
		{"Register", def.RegisterPerIP.Requests + 5, func(i int) *e2eResp {
			return e.post(t, "/auth/register", map[string]any{"email": "x" + strconv.Itoa(i) + "@example.com", "password": "short"})
		}},
		{"LoginPerIdentifier", def.LoginPerIdentifier.Requests + 5, func(int) *e2eResp {
			return e.post(t, "/auth/login", map[string]any{"identifier": "", "password": ""})
		}},
		{"Login", def.LoginPerIP.Requests + 5, func(i int) *e2eResp {
			return e.post(t, "/auth/login", map[string]any{"identifier": "u" + strconv.Itoa(i) + "@example.com", "password": ""})
		}},
		{"Forgot", def.MailPerAddress.Requests + 5, func(int) *e2eResp {
			return e.post(t, "/auth/forgot-password", map[string]any{"email": "nobody@example.com"})
		}},
		{"Check", def.CheckPerIP.Requests + 5, func(int) *e2eResp { return e.get(t, "/auth/check-email?email=x@example.com") }},
		{"MFA", def.MFAPerChallenge.Requests + 5, func(int) *e2eResp {
			return e.post(t, "/auth/login/2fa", map[string]any{"mfaToken": "same-token", "code": "123456"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < tc.n; i++ {
				r := tc.send(i)
				require.NotEqual(t, http.StatusTooManyRequests, r.Status, "request %d: %s", i+1, r)
				assert.Empty(t, r.Header.Get("RateLimit-Limit"))
			}
		})
	}
}

// TestE2EDefaultSignUpLimit checks the default sign-up limit: 30 per 5
// minutes per IP, so that an office behind one NAT address is not locked
// out after ten sign-ups an hour.
func TestE2EDefaultSignUpLimit(t *testing.T) {
	e := newE2E(t, nil)
	register := func(i int) *e2eResp {
		return e.post(t, "/auth/register", map[string]any{"email": "office" + strconv.Itoa(i) + "@example.com", "password": e2ePassword})
	}
	for i := 0; i < 30; i++ {
		r := register(i)
		require.Equal(t, http.StatusCreated, r.Status, "sign-up %d: %s", i+1, r)
	}
	r := register(30)
	e2eCheckProblem(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	assert.Equal(t, "30", r.Header.Get("RateLimit-Limit"))
	e.clock.Advance(5*time.Minute + time.Second)
	assert.Equal(t, http.StatusCreated, register(31).Status, "the window refills after 5 minutes")
}

// TestE2EMount mounts the handler the ways hosts do: behind
// http.StripPrefix, under a plain mux without stripping, and under chi's
// Mount (which does not strip), at the default and at a custom mount path,
// and at the site root. Every way serves the routes, the OpenAPI document
// names the mount path, and the verification link in the email leads back
// to the API.
func TestE2EMount(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mount string // WithMountPath; "-" leaves the default
		serve func(h http.Handler, mount string) http.Handler
	}{
		{"StripPrefix", "-", func(h http.Handler, mount string) http.Handler {
			mux := http.NewServeMux()
			mux.Handle(mount+"/", http.StripPrefix(mount, h))
			return mux
		}},
		{"MuxWithoutStrip", "-", func(h http.Handler, mount string) http.Handler {
			mux := http.NewServeMux()
			mux.Handle(mount+"/", h)
			return mux
		}},
		{"ChiMount", "-", func(h http.Handler, mount string) http.Handler {
			r := chi.NewRouter()
			r.Mount(mount, h)
			return r
		}},
		{"ChiMountCustomPath", "/identity", func(h http.Handler, mount string) http.Handler {
			r := chi.NewRouter()
			r.Mount(mount, h)
			return r
		}},
		{"StripPrefixCustomPath", "/identity/v2", func(h http.Handler, mount string) http.Handler {
			mux := http.NewServeMux()
			mux.Handle(mount+"/", http.StripPrefix(mount, h))
			return mux
		}},
		{"Root", "", func(h http.Handler, _ string) http.Handler { return h }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []usermgmt.Option
			mount := "/api/v1"
			if tc.mount != "-" {
				opts = append(opts, usermgmt.WithMountPath(tc.mount))
				mount = tc.mount
			}
			e := newE2E(t, nil, opts...)
			srv := httptest.NewServer(tc.serve(e.m.Handler(), mount))
			t.Cleanup(srv.Close)
			api := srv.URL + mount

			const email = "mounted@example.com"
			r := e.post(t, api+"/auth/register", map[string]any{"email": email, "password": e2ePassword})
			require.Equal(t, http.StatusCreated, r.Status, "%s", r)
			r = e.post(t, api+"/auth/login", map[string]any{"identifier": email, "password": e2ePassword})
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			token, _ := r.JSON(t)["accessToken"].(string)
			r = e.get(t, api+"/users/profile", e2eBearer(token)...)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, email, r.JSON(t)["email"])
			e2eCheckProblem(t, e.get(t, api+"/no/such/route"), http.StatusNotFound, "NOT_FOUND")

			doc := e.get(t, api+"/openapi.json")
			require.Equal(t, http.StatusOK, doc.Status, "%s", doc)
			servers, _ := doc.JSON(t)["servers"].([]any)
			require.NotEmpty(t, servers)
			want := mount
			if want == "" {
				want = "/"
			}
			assert.Equal(t, want, servers[0].(map[string]any)["url"], "servers names the mount path")

			m := e.mail.next(t, email, "Confirm your email address", 10*time.Second)
			var link string
			for _, l := range m.Links() {
				if strings.HasPrefix(l, e2eBaseURL) {
					link = l
				}
			}
			require.NotEmpty(t, link, "mail: %s", m.Text)
			assert.True(t, strings.HasPrefix(link, e2eBaseURL+mount+"/auth/verify-email?token="), "link %s", link)
			r = e.get(t, srv.URL+strings.TrimPrefix(link, e2eBaseURL))
			require.Equal(t, http.StatusOK, r.Status, "the link reaches the API: %s", r)
			assert.Equal(t, true, r.JSON(t)["emailVerified"])
		})
	}
}

// TestE2ECORS checks cross-origin access: none by default; for an allowed
// origin, preflights answered without a bearer token and actual answers
// readable with credentials; nothing for other origins.
func TestE2ECORS(t *testing.T) {
	const allowed, other = "https://app.example.com", "https://evil.example.net"
	preflight := func(e *e2eEnv, origin string) *e2eResp {
		return e.do(t, http.MethodOptions, "/users/profile", nil, "Origin", origin,
			"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization, x-device-fingerprint")
	}
	corsHeaders := func(r *e2eResp) map[string]string {
		got := map[string]string{}
		for k := range r.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				got[k] = r.Header.Get(k)
			}
		}
		return got
	}

	t.Run("OffByDefault", func(t *testing.T) {
		e := newE2E(t, nil)
		assert.Empty(t, corsHeaders(preflight(e, allowed)))
		assert.Empty(t, corsHeaders(e.get(t, "/health", "Origin", allowed)))
	})

	e := newE2E(t, nil, usermgmt.WithCORS(allowed, "http://localhost:3000"))
	e.register(t, "cors@example.com")
	tk := e.login(t, "cors@example.com", e2ePassword)

	t.Run("Preflight", func(t *testing.T) {
		r := preflight(e, allowed)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r)
		assert.Empty(t, r.Body)
		assert.Equal(t, allowed, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "true", r.Header.Get("Access-Control-Allow-Credentials"))
		methods := r.Header.Get("Access-Control-Allow-Methods")
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			assert.Contains(t, methods, m)
		}
		headers := r.Header.Get("Access-Control-Allow-Headers")
		for _, h := range []string{"Authorization", "Content-Type", "X-Device-Fingerprint", "X-Request-Id"} {
			assert.Contains(t, headers, h)
		}
		age, err := strconv.Atoi(r.Header.Get("Access-Control-Max-Age"))
		require.NoError(t, err)
		assert.Positive(t, age)
		assert.Contains(t, r.Header.Values("Vary"), "Origin")
	})
	t.Run("PreflightOfAPostRoute", func(t *testing.T) {
		r := e.do(t, http.MethodOptions, "/auth/login", nil, "Origin", "http://localhost:3000",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r)
		assert.Equal(t, "http://localhost:3000", r.Header.Get("Access-Control-Allow-Origin"))
	})
	t.Run("ActualRequest", func(t *testing.T) {
		r := e.get(t, "/users/profile", append(e2eBearer(tk.AccessToken), "Origin", allowed)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		assert.Equal(t, allowed, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "true", r.Header.Get("Access-Control-Allow-Credentials"))
		assert.Contains(t, r.Header.Values("Vary"), "Origin")
		assert.Equal(t, "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After",
			r.Header.Get("Access-Control-Expose-Headers"))
	})
	t.Run("ProblemsAreReadableToo", func(t *testing.T) {
		r := e.get(t, "/users/profile", "Origin", allowed)
		e2eCheckProblem(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
		assert.Equal(t, allowed, r.Header.Get("Access-Control-Allow-Origin"))
	})
	t.Run("OtherOrigin", func(t *testing.T) {
		r := preflight(e, other)
		assert.NotEqual(t, http.StatusNoContent, r.Status)
		assert.Empty(t, corsHeaders(r))
		r = e.get(t, "/users/profile", append(e2eBearer(tk.AccessToken), "Origin", other)...)
		assert.Empty(t, corsHeaders(r))
		assert.Contains(t, r.Header.Values("Vary"), "Origin", "caches must not reuse an answer across origins")
	})
	t.Run("LookalikeOrigins", func(t *testing.T) {
		for _, o := range []string{"https://app.example.com.evil.net", "http://app.example.com", "https://app.example.com:8443", "null"} {
			assert.Empty(t, corsHeaders(preflight(e, o)), o)
		}
	})
}

// TestNewValidatesMountPathAndCORS checks that bad values fail New with
// an error naming the option.
func TestNewValidatesMountPathAndCORS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    usermgmt.Option
		option string // "" when the value is fine
	}{
		{"MountDefault", usermgmt.WithMountPath("/api/v1"), ""},
		{"MountRoot", usermgmt.WithMountPath(""), ""},
		{"MountNested", usermgmt.WithMountPath("/a/b-c"), ""},
		{"MountNoSlash", usermgmt.WithMountPath("api/v1"), "WithMountPath"},
		{"MountTrailingSlash", usermgmt.WithMountPath("/api/v1/"), "WithMountPath"},
		{"MountSlashOnly", usermgmt.WithMountPath("/"), "WithMountPath"},
		{"MountDotDot", usermgmt.WithMountPath("/api/../v1"), "WithMountPath"},
		{"MountQuery", usermgmt.WithMountPath("/api?x=1"), "WithMountPath"},
		{"CORSNone", usermgmt.WithCORS(), ""},
		{"CORSHTTPS", usermgmt.WithCORS("https://app.example.com"), ""},
		{"CORSPort", usermgmt.WithCORS("http://localhost:3000"), ""},
		{"CORSWildcard", usermgmt.WithCORS("*"), "WithCORS"},
		{"CORSPath", usermgmt.WithCORS("https://app.example.com/"), "WithCORS"},
		{"CORSNoScheme", usermgmt.WithCORS("app.example.com"), "WithCORS"},
		{"CORSOtherScheme", usermgmt.WithCORS("ftp://app.example.com"), "WithCORS"},
		{"CORSUser", usermgmt.WithCORS("https://u@app.example.com"), "WithCORS"},
		{"CORSOneBadAmongGood", usermgmt.WithCORS("https://a.example.com", "https://b.example.com/x"), "WithCORS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := usermgmt.New(dbtest.SQLite(t), tc.opt)
			if tc.option == "" {
				require.NoError(t, err)
				_ = m.Close()
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.option)
		})
	}
}
