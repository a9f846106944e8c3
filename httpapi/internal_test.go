package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
)

type echoBody struct {
	Email   string   `json:"email"`
	Age     int      `json:"age"`
	Tags    []string `json:"tags"`
	Options struct {
		Dark bool `json:"dark"`
	} `json:"options"`
}

// testServer mounts the API under /api/v1 as a host would, with extra
// routes that exercise the shared machinery.
func testServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = dbtest.SQLite(t)
	}
	a := newAPI(cfg)
	a.mux.HandleFunc("POST /test/echo", func(w http.ResponseWriter, r *http.Request) {
		var b echoBody
		if err := a.decodeJSON(r, &b); err != nil {
			a.problem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, b)
	})
	a.mux.HandleFunc("GET /test/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("secret detail: db password hunter2")
	})
	a.mux.HandleFunc("GET /test/ip", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, a.clientIP(r))
	})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", a))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type problemDoc struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	RequestID string `json:"requestId"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func TestProblems(t *testing.T) {
	srv := testServer(t, Config{BodyLimit: 1024})
	big := `{"email":"` + strings.Repeat("a", 2000) + `"}`
	tests := []struct {
		name, method, path, contentType, body string
		chunked                               bool
		status                                int
		code                                  string
		fields                                []string
	}{
		{name: "UnknownRoute", method: "GET", path: "/nope", status: 404, code: "NOT_FOUND"},
		{name: "WrongMethod", method: "DELETE", path: "/health", status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "MalformedJSON", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":`, status: 400, code: "MALFORMED_JSON"},
		{name: "EmptyBody", method: "POST", path: "/test/echo", contentType: "application/json", body: ``, status: 400, code: "MALFORMED_JSON"},
		{name: "NotAnObject", method: "POST", path: "/test/echo", contentType: "application/json", body: `[1,2]`, status: 400, code: "MALFORMED_JSON"},
		{name: "Null", method: "POST", path: "/test/echo", contentType: "application/json", body: `null`, status: 400, code: "MALFORMED_JSON"},
		{name: "TrailingData", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":"a"} {}`, status: 400, code: "MALFORMED_JSON"},
		{name: "UnknownField", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":"a","role":"admin"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"role"}},
		{name: "EveryUnknownField", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"b":1,"a":2,"email":"x"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"a", "b"}},
		{name: "FieldNamesAreExact", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"EMAIL":"a"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"EMAIL"}},
		{name: "WrongTypes", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":5,"age":"x","tags":"y"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"age", "email", "tags"}},
		{name: "NestedUnknownAndType", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"options":{"dark":"yes"}}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"options.dark"}},
		{name: "NestedUnknown", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"options":{"x":1}}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"options.x"}},
		{name: "DuplicateKey", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":"a","email":"b"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"email"}},
		{name: "DuplicateKeyEscaped", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":"a","\u0065mail":"b"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"email"}},
		{name: "DuplicateKeyNested", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"options":{"dark":true,"dark":false}}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"options.dark"}},
		{name: "DuplicateKeyInArray", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"tags":[{"a":1,"a":2}]}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"tags[0].a"}},
		{name: "EscapedNUL", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":"a\u0000b"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"email"}},
		{name: "RawNUL", method: "POST", path: "/test/echo", contentType: "application/json", body: "{\"email\":\"a\x00b\"}", status: 400, code: "VALIDATION_FAILED", fields: []string{"email"}},
		{name: "NULInArray", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"tags":["ok","\u0000"]}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"tags[1]"}},
		{name: "NULInKey", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"em\u0000ail":"a"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"em\x00ail"}},
		{name: "InvalidUTF8", method: "POST", path: "/test/echo", contentType: "application/json", body: "{\"email\":\"a\xffb\"}", status: 400, code: "VALIDATION_FAILED", fields: []string{"email"}},
		{name: "InvalidUTF8Nested", method: "POST", path: "/test/echo", contentType: "application/json", body: "{\"options\":{\"dark\":\"\xc3\"}}", status: 400, code: "VALIDATION_FAILED", fields: []string{"options.dark"}},
		{name: "LoneSurrogate", method: "POST", path: "/test/echo", contentType: "application/json", body: `{"email":"a\ud800b"}`, status: 400, code: "VALIDATION_FAILED", fields: []string{"email"}},
		{name: "InvalidUTF8InKey", method: "POST", path: "/test/echo", contentType: "application/json", body: "{\"e\xffmail\":\"a\"}", status: 400, code: "MALFORMED_JSON"},
		{name: "InvalidUTF8OutsideStrings", method: "POST", path: "/test/echo", contentType: "application/json", body: "{\"email\":\"a\"}\xff", status: 400, code: "MALFORMED_JSON"},
		{name: "WrongContentType", method: "POST", path: "/test/echo", contentType: "text/plain", body: `{"email":"a"}`, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "NoContentType", method: "POST", path: "/test/echo", body: `{"email":"a"}`, status: 415, code: "UNSUPPORTED_MEDIA_TYPE"},
		{name: "OversizeBody", method: "POST", path: "/test/echo", contentType: "application/json", body: big, status: 413, code: "PAYLOAD_TOO_LARGE"},
		{name: "OversizeChunkedBody", method: "POST", path: "/test/echo", contentType: "application/json", body: big, chunked: true, status: 413, code: "PAYLOAD_TOO_LARGE"},
		{name: "Panic", method: "GET", path: "/test/panic", status: 500, code: "INTERNAL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // unknown length: sent chunked
			}
			req, err := http.NewRequest(tc.method, srv.URL+"/api/v1"+tc.path, body)
			require.NoError(t, err)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			raw, err := io.ReadAll(res.Body)
			require.NoError(t, err)

			assert.Equal(t, tc.status, res.StatusCode)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			var p problemDoc
			require.NoError(t, json.Unmarshal(raw, &p), string(raw))
			assert.Equal(t, tc.code, p.Code)
			assert.Equal(t, tc.status, p.Status)
			assert.NotEmpty(t, p.Title)
			wantType := "https://usermgmt.dev/problems/" + strings.ReplaceAll(strings.ToLower(tc.code), "_", "-")
			if tc.code == "VALIDATION_FAILED" {
				wantType = "https://usermgmt.dev/problems/validation" // exactly as API.md has it
			}
			assert.Equal(t, wantType, p.Type)
			assert.Equal(t, res.Header.Get("X-Request-Id"), p.RequestID)
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
				assert.NotEmpty(t, f.Message)
			}
			assert.Equal(t, tc.fields, fields)
			assert.NotContains(t, string(raw), "hunter2")
			if tc.status == 405 {
				assert.Contains(t, res.Header.Get("Allow"), "GET")
			}
		})
	}
}

func TestDecodeOK(t *testing.T) {
	srv := testServer(t, Config{})
	for _, tc := range []struct {
		name, body, email string
		dark              bool
	}{
		{"Plain", `{"email":"a@example.com","age":3,"tags":["x"],"options":{"dark":true}}`, "a@example.com", true},
		// The same key in two different objects is no duplicate.
		{"SameKeyInTwoObjects", `{"options":{"dark":true},"tags":["dark"],"email":"dark"}`, "dark", true},
		{"Unicode", `{"email":"zoë\u00e9😀\ud83d\ude00"}`, "zoëé😀😀", false},
		{"EscapedQuote", `{"email":"a\"b\\"}`, `a"b\`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Post(srv.URL+"/api/v1/test/echo", "application/json; charset=utf-8", strings.NewReader(tc.body))
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			var got echoBody
			require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
			assert.Equal(t, tc.email, got.Email)
			assert.Equal(t, tc.dark, got.Options.Dark)
		})
	}
}

func TestEveryResponseHasRequestIDAndSecurityHeaders(t *testing.T) {
	srv := testServer(t, Config{})
	for _, path := range []string{"/health", "/nope", "/ready", "/test/panic"} {
		t.Run(path, func(t *testing.T) {
			res, err := http.Get(srv.URL + "/api/v1" + path)
			require.NoError(t, err)
			res.Body.Close()
			assert.Len(t, res.Header.Get("X-Request-Id"), 26)
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
			assert.Contains(t, res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
		})
	}
}

func TestRequestIDFromCaller(t *testing.T) {
	srv := testServer(t, Config{})
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"Plain", "abc-123_x.y", true},
		{"TooLong", strings.Repeat("a", 65), false},
		{"HeaderInjection", "abc\tdef", false},
		{"Unicode", "ä", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/health", nil)
			req.Header.Set("X-Request-Id", tc.sent)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			if tc.echoed {
				assert.Equal(t, tc.sent, res.Header.Get("X-Request-Id"))
			} else {
				assert.NotEqual(t, tc.sent, res.Header.Get("X-Request-Id"))
				assert.Len(t, res.Header.Get("X-Request-Id"), 26)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	a := newAPI(Config{Store: dbtest.SQLite(t), TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"NoProxy", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"UntrustedPeerIgnoresXFF", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"TrustedPeer", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"SpoofedLeftmostIgnored", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"ChainOfProxies", "10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"MultipleHeaders", "10.1.2.3:5000", []string{"198.51.100.1", "10.9.9.9"}, "198.51.100.1"},
		{"GarbageStops", "10.1.2.3:5000", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
		{"AllTrusted", "10.1.2.3:5000", []string{"10.0.0.1"}, "10.0.0.1"},
		{"IPv6Peer", "[::1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"MappedIPv4", "[::ffff:203.0.113.9]:1", nil, "203.0.113.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tc.want, a.clientIP(r))
		})
	}
}

func TestAccessLogNeverLogsQuery(t *testing.T) {
	var buf bytes.Buffer
	srv := testServer(t, Config{Logger: newTestLogger(&buf)})
	res, err := http.Get(srv.URL + "/api/v1/health?token=s3cr3t-token")
	require.NoError(t, err)
	res.Body.Close()
	assert.Contains(t, buf.String(), `"path":"/health"`)
	assert.NotContains(t, buf.String(), "s3cr3t-token")
}

func TestPanicIsLoggedNotSent(t *testing.T) {
	var buf bytes.Buffer
	srv := testServer(t, Config{Logger: newTestLogger(&buf)})
	res, err := http.Get(srv.URL + "/api/v1/test/panic")
	require.NoError(t, err)
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, 500, res.StatusCode)
	assert.NotContains(t, string(raw), "hunter2")
	assert.Contains(t, buf.String(), "panic")
}
