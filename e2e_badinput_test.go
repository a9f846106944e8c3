package usermgmt_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
)

// TestE2EBadInput sends bad input to every /auth route and to GET
// /users/profile and checks each answer is the documented problem.
func TestE2EBadInput(t *testing.T) {
	e := newE2E(t, nil, usermgmt.WithRateLimits(httpapi.Limits{}))
	served := map[string]bool{}
	for _, r := range httpapi.Routes(e.m.Handler()) {
		served[r.Method+" "+r.Path] = true
	}
	const email = "bad-input@example.com"
	e.register(t, email)
	tk := e.login(t, email, e2ePassword)
	bearer := e2eBearer(tk.AccessToken)

	// Every JSON route with one of its string fields.
	jsonRoutes := []struct {
		path  string
		authz bool
		field string
	}{
		{"/auth/register", false, "password"},
		{"/auth/login", false, "password"},
		{"/auth/login/2fa/send", false, "mfaToken"},
		{"/auth/login/2fa", false, "code"},
		{"/auth/refresh", false, "refreshToken"},
		{"/auth/logout", false, "refreshToken"},
		{"/auth/verify-email", false, "token"},
		{"/auth/resend-verification", false, "email"},
		{"/auth/forgot-password", false, "email"},
		{"/auth/reset-password", false, "newPassword"},
		{"/auth/change-password", true, "currentPassword"},
	}
	generic := []struct {
		name   string
		body   any
		hdr    []string
		status int
		code   string
		fields []string
	}{
		{"MalformedJSON", e2eRaw(`{"email":`), nil, 400, "MALFORMED_JSON", nil},
		{"EmptyBody", e2eRaw(``), nil, 400, "MALFORMED_JSON", nil},
		{"WhitespaceBody", e2eRaw(" \n"), nil, 400, "MALFORMED_JSON", nil},
		{"Array", e2eRaw(`[{"email":"a@example.com"}]`), nil, 400, "MALFORMED_JSON", nil},
		{"Null", e2eRaw(`null`), nil, 400, "MALFORMED_JSON", nil},
		{"String", e2eRaw(`"hello"`), nil, 400, "MALFORMED_JSON", nil},
		{"TrailingGarbage", e2eRaw(`{} {}`), nil, 400, "MALFORMED_JSON", nil},
		{"UnknownField", map[string]any{"bogus": true}, nil, 400, "VALIDATION_FAILED", []string{"bogus"}},
		{"ReadOnlyRoles", map[string]any{"roles": []string{"admin"}}, nil, 400, "VALIDATION_FAILED", []string{"roles"}},
		{"TextPlain", e2eRaw(`{}`), []string{"Content-Type", "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"FormEncoded", e2eRaw(`a=b`), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"NoContentType", e2eRaw(`{}`), []string{"Content-Type", ""}, 415, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"TooLarge", e2eRaw(`{"x":"` + strings.Repeat("a", 2<<20) + `"}`), nil, 413, "PAYLOAD_TOO_LARGE", nil},
	}
	for _, rt := range jsonRoutes {
		t.Run(strings.ReplaceAll(strings.TrimPrefix(rt.path, "/"), "/", "_"), func(t *testing.T) {
			if !served["POST "+rt.path] {
				t.Skipf("POST %s is in API.md but not served yet", rt.path)
			}
			var auth []string
			if rt.authz {
				auth = bearer
			}
			for _, tc := range generic {
				t.Run(tc.name, func(t *testing.T) {
					r := e.post(t, rt.path, tc.body, append(append([]string{}, auth...), tc.hdr...)...)
					p := e2eCheckProblem(t, r, tc.status, tc.code)
					if tc.fields != nil {
						assert.Equal(t, tc.fields, p.Fields())
					}
				})
			}
			t.Run("WrongType", func(t *testing.T) {
				r := e.post(t, rt.path, map[string]any{rt.field: 5}, auth...)
				p := e2eCheckProblem(t, r, 400, "VALIDATION_FAILED")
				assert.Equal(t, []string{rt.field}, p.Fields())
			})
			t.Run("EveryBadFieldNamed", func(t *testing.T) {
				r := e.post(t, rt.path, map[string]any{rt.field: []int{1}, "zzz": 1, "aaa": nil}, auth...)
				p := e2eCheckProblem(t, r, 400, "VALIDATION_FAILED")
				assert.ElementsMatch(t, []string{"aaa", rt.field, "zzz"}, p.Fields())
			})
			t.Run("JSONWithCharset", func(t *testing.T) {
				// A correct media type with parameters is not a 415.
				r := e.post(t, rt.path, e2eRaw(`{"bogus":1}`), append(append([]string{}, auth...), "Content-Type", "application/json; charset=utf-8")...)
				e2eCheckProblem(t, r, 400, "VALIDATION_FAILED")
			})
		})
	}

	other := "someone-else@example.com"
	e.register(t, other)
	verifyMail := e.mail.next(t, other, "Confirm your email address", 10*time.Second)
	verifyToken, _ := e.linkToken(t, verifyMail)

	// Route-specific input: missing fields, bad emails, bad tokens.
	specific := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"RegisterMissing", "POST", "/auth/register", map[string]any{}, 400, "VALIDATION_FAILED", []string{"email", "password"}},
		{"RegisterBadEmail", "POST", "/auth/register", map[string]any{"email": "not-an-email", "password": e2ePassword}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"RegisterDisplayName", "POST", "/auth/register", map[string]any{"email": "Bob <bob@example.com>", "password": e2ePassword}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"RegisterHeaderInjection", "POST", "/auth/register", map[string]any{"email": "bob@example.com\r\nBcc: eve@example.com", "password": e2ePassword}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"RegisterNoDomainDot", "POST", "/auth/register", map[string]any{"email": "bob@localhost", "password": e2ePassword}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"RegisterStatus", "POST", "/auth/register", map[string]any{"email": "x@example.com", "password": e2ePassword, "status": "active"}, 400, "VALIDATION_FAILED", []string{"status"}},
		{"RegisterEmailVerified", "POST", "/auth/register", map[string]any{"email": "x@example.com", "password": e2ePassword, "emailVerified": true}, 400, "VALIDATION_FAILED", []string{"emailVerified"}},
		{"RegisterPasswordNumber", "POST", "/auth/register", map[string]any{"email": "x@example.com", "password": 5}, 400, "VALIDATION_FAILED", []string{"password"}},
		{"RegisterWeakPassword", "POST", "/auth/register", map[string]any{"email": "x@example.com", "password": "password"}, 422, "WEAK_PASSWORD", nil},
		{"RegisterTaken", "POST", "/auth/register", map[string]any{"email": " BAD-INPUT@Example.com ", "password": e2ePassword}, 409, "EMAIL_TAKEN", nil},
		{"RegisterReservedUsername", "POST", "/auth/register", map[string]any{"email": "y@example.com", "password": e2ePassword, "username": "Admin"}, 422, "USERNAME_RESERVED", nil},
		{"LoginMissing", "POST", "/auth/login", map[string]any{}, 400, "VALIDATION_FAILED", []string{"identifier", "password"}},
		{"LoginPasswordNumber", "POST", "/auth/login", map[string]any{"identifier": email, "password": 5}, 400, "VALIDATION_FAILED", []string{"password"}},
		{"LoginWrongPassword", "POST", "/auth/login", map[string]any{"identifier": "nobody@example.com", "password": "wrong-password-1"}, 401, "INVALID_CREDENTIALS", nil},
		{"RefreshMissing", "POST", "/auth/refresh", map[string]any{}, 400, "VALIDATION_FAILED", []string{"refreshToken"}},
		{"RefreshBad", "POST", "/auth/refresh", map[string]any{"refreshToken": "not-a-token"}, 401, "INVALID_REFRESH_TOKEN", nil},
		{"RefreshAccessToken", "POST", "/auth/refresh", map[string]any{"refreshToken": tk.AccessToken}, 401, "INVALID_REFRESH_TOKEN", nil},
		{"LogoutMissing", "POST", "/auth/logout", map[string]any{}, 400, "VALIDATION_FAILED", []string{"refreshToken"}},
		{"LogoutBad", "POST", "/auth/logout", map[string]any{"refreshToken": "not-a-token"}, 401, "INVALID_REFRESH_TOKEN", nil},
		{"VerifyGetNoToken", "GET", "/auth/verify-email", nil, 400, "INVALID_TOKEN", nil},
		{"VerifyGetEmptyToken", "GET", "/auth/verify-email?token=", nil, 400, "INVALID_TOKEN", nil},
		{"VerifyGetBadToken", "GET", "/auth/verify-email?token=bogus", nil, 400, "INVALID_TOKEN", nil},
		{"VerifyPostMissing", "POST", "/auth/verify-email", map[string]any{}, 400, "INVALID_TOKEN", nil},
		{"VerifyPostEmpty", "POST", "/auth/verify-email", map[string]any{"token": ""}, 400, "INVALID_TOKEN", nil},
		{"VerifyPostBad", "POST", "/auth/verify-email", map[string]any{"token": "bogus"}, 400, "INVALID_TOKEN", nil},
		{"VerifyPostRefreshToken", "POST", "/auth/verify-email", map[string]any{"token": tk.RefreshToken}, 400, "INVALID_TOKEN", nil},
		{"ResendMissing", "POST", "/auth/resend-verification", map[string]any{}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"ResendBadEmail", "POST", "/auth/resend-verification", map[string]any{"email": "nope"}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"ForgotMissing", "POST", "/auth/forgot-password", map[string]any{}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"ForgotBadEmail", "POST", "/auth/forgot-password", map[string]any{"email": "nope@"}, 400, "VALIDATION_FAILED", []string{"email"}},
		{"ResetMissing", "POST", "/auth/reset-password", map[string]any{}, 400, "INVALID_TOKEN", nil},
		{"ResetEmptyToken", "POST", "/auth/reset-password", map[string]any{"token": "", "newPassword": "another-fine-pass-7"}, 400, "INVALID_TOKEN", nil},
		{"ResetBadToken", "POST", "/auth/reset-password", map[string]any{"token": "bogus", "newPassword": "another-fine-pass-7"}, 400, "INVALID_TOKEN", nil},
		// A verification token is not a reset token.
		{"ResetWithVerifyToken", "POST", "/auth/reset-password", map[string]any{"token": verifyToken, "newPassword": "another-fine-pass-7"}, 400, "INVALID_TOKEN", nil},
		{"ChangeMissing", "POST", "/auth/change-password", map[string]any{}, 400, "VALIDATION_FAILED", []string{"currentPassword", "newPassword"}},
		{"ChangeNoNew", "POST", "/auth/change-password", map[string]any{"currentPassword": e2ePassword}, 400, "VALIDATION_FAILED", []string{"newPassword"}},
		{"ChangeWeak", "POST", "/auth/change-password", map[string]any{"currentPassword": e2ePassword, "newPassword": "short"}, 422, "WEAK_PASSWORD", nil},
		{"ChangeReused", "POST", "/auth/change-password", map[string]any{"currentPassword": e2ePassword, "newPassword": e2ePassword}, 422, "PASSWORD_REUSED", nil},
		{"ChangeWrongCurrent", "POST", "/auth/change-password", map[string]any{"currentPassword": "not-my-password", "newPassword": "another-fine-pass-7"}, 403, "INVALID_PASSWORD", nil},
		{"CheckEmailMissing", "GET", "/auth/check-email", nil, 400, "VALIDATION_FAILED", []string{"email"}},
		{"CheckEmailBad", "GET", "/auth/check-email?email=nope", nil, 400, "VALIDATION_FAILED", []string{"email"}},
		{"CheckUsernameBad", "GET", "/auth/check-username?username=a", nil, 400, "VALIDATION_FAILED", []string{"username"}},
		{"CheckUsernameSymbols", "GET", "/auth/check-username?username=" + "bob%20smith", nil, 400, "VALIDATION_FAILED", []string{"username"}},
		{"UnknownRoute", "GET", "/auth/nope", nil, 404, "NOT_FOUND", nil},
		{"WrongMethod", "DELETE", "/auth/login", nil, 405, "METHOD_NOT_ALLOWED", nil},
	}
	for _, tc := range specific {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.body, bearer...)
			p := e2eCheckProblem(t, r, tc.status, tc.code)
			if tc.fields != nil {
				assert.Equal(t, tc.fields, p.Fields())
			}
		})
	}

	t.Run("Bearer", func(t *testing.T) {
		headers := []struct {
			name string
			hdr  []string
		}{
			{"None", nil},
			{"EmptyBearer", []string{"Authorization", "Bearer "}},
			{"SchemeOnly", []string{"Authorization", "Bearer"}},
			{"Garbage", []string{"Authorization", "Bearer garbage"}},
			{"ThreeParts", []string{"Authorization", "Bearer a.b.c"}},
			{"Basic", []string{"Authorization", "Basic YWxpY2U6c2VjcmV0"}},
			{"TokenWithoutScheme", []string{"Authorization", tk.AccessToken}},
			{"RefreshToken", []string{"Authorization", "Bearer " + tk.RefreshToken}},
			{"TokenInQueryOnly", nil},
		}
		for _, route := range []struct{ method, path string }{{"POST", "/auth/change-password"}, {"GET", "/users/profile"}} {
			for _, h := range headers {
				t.Run(route.path+"/"+h.name, func(t *testing.T) {
					var body any
					if route.method == "POST" {
						body = map[string]any{"currentPassword": e2ePassword, "newPassword": "another-fine-pass-7"}
					}
					path := route.path
					if h.name == "TokenInQueryOnly" {
						path += "?access_token=" + tk.AccessToken
					}
					r := e.do(t, route.method, path, body, h.hdr...)
					e2eCheckProblem(t, r, 401, "UNAUTHENTICATED")
					assert.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer"),
						"WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
				})
			}
		}
		t.Run("LowerCaseScheme", func(t *testing.T) {
			r := e.get(t, "/users/profile", "Authorization", "bearer "+tk.AccessToken)
			assert.Equal(t, http.StatusOK, r.Status, "%s", r)
		})
	})

	t.Run("ChunkedTooLarge", func(t *testing.T) {
		// No Content-Length: the limit applies while reading.
		big := io.MultiReader(strings.NewReader(`{"identifier":"`), strings.NewReader(strings.Repeat("a", 2<<20)), strings.NewReader(`"}`))
		req, err := http.NewRequest("POST", e.api+"/auth/login", big)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		res, err := e.srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		e2eCheckProblem(t, &e2eResp{Status: res.StatusCode, Header: res.Header, Body: body}, 413, "PAYLOAD_TOO_LARGE")
	})

	t.Run("RequestID", func(t *testing.T) {
		// A plain caller id is echoed into the header and the problem; a
		// hostile one is replaced.
		r := e.post(t, "/auth/login", map[string]any{}, "X-Request-Id", "client-req-42")
		p := e2eCheckProblem(t, r, 400, "VALIDATION_FAILED")
		assert.Equal(t, "client-req-42", p.RequestID)
		for _, bad := range []string{"<script>alert(1)</script>", strings.Repeat("a", 65), "a b", `"quoted"`} {
			r := e.post(t, "/auth/login", map[string]any{}, "X-Request-Id", bad)
			p := e2eCheckProblem(t, r, 400, "VALIDATION_FAILED")
			assert.NotEqual(t, bad, p.RequestID)
			assert.NotContains(t, string(r.Body), "<script>")
		}
	})

	t.Run("SpentVerifyToken", func(t *testing.T) {
		r := e.post(t, "/auth/verify-email", map[string]any{"token": verifyToken})
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		e2eCheckProblem(t, e.post(t, "/auth/verify-email", map[string]any{"token": verifyToken}), 400, "INVALID_TOKEN")
		e2eCheckProblem(t, e.get(t, "/auth/verify-email?token="+verifyToken), 400, "INVALID_TOKEN")
	})

	t.Run("SpentAndSupersededResetToken", func(t *testing.T) {
		require.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": other}).Status)
		first, _ := e.linkToken(t, e.mail.next(t, other, "Reset your password", 10*time.Second))
		require.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": other}).Status)
		second, _ := e.linkToken(t, e.mail.next(t, other, "Reset your password", 10*time.Second))
		// A newer link spends the older one.
		e2eCheckProblem(t, e.post(t, "/auth/reset-password", map[string]any{"token": first, "newPassword": "another-fine-pass-7"}), 400, "INVALID_TOKEN")
		// A reset token does not verify an email.
		e2eCheckProblem(t, e.post(t, "/auth/verify-email", map[string]any{"token": second}), 400, "INVALID_TOKEN")
		r := e.post(t, "/auth/reset-password", map[string]any{"token": second, "newPassword": "another-fine-pass-7"})
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		e2eCheckProblem(t, e.post(t, "/auth/reset-password", map[string]any{"token": second, "newPassword": "yet-another-pass-8"}), 400, "INVALID_TOKEN")
	})

	// Last: these move the clock.
	t.Run("ExpiredTokens", func(t *testing.T) {
		const late = "late@example.com"
		e.register(t, late)
		verify, _ := e.linkToken(t, e.mail.next(t, late, "Confirm your email address", 10*time.Second))
		require.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": late}).Status)
		reset, _ := e.linkToken(t, e.mail.next(t, late, "Reset your password", 10*time.Second))

		e.clock.Advance(time.Hour + time.Second)
		e2eCheckProblem(t, e.post(t, "/auth/reset-password", map[string]any{"token": reset, "newPassword": "another-fine-pass-7"}), 400, "INVALID_TOKEN")
		e.clock.Advance(23 * time.Hour)
		e2eCheckProblem(t, e.get(t, "/auth/verify-email?token="+verify), 400, "INVALID_TOKEN")
		e2eCheckProblem(t, e.post(t, "/auth/verify-email", map[string]any{"token": verify}), 400, "INVALID_TOKEN")
	})
}

// TestE2EStrictJSON sends bodies that encoding/json would accept after
// silently repairing them: a NUL inside the login identifier (once dropped
// on the way to the store, so the login succeeded as someone else's
// spelling of the name), a key given twice (the last copy won), invalid
// UTF-8 (replaced by U+FFFD). Each is a 400 naming the field.
func TestE2EStrictJSON(t *testing.T) {
	e := newE2E(t, nil, usermgmt.WithRateLimits(httpapi.Limits{}))
	const email = "strict-json@example.com"
	e.register(t, email)
	require.Equal(t, http.StatusOK, e.post(t, "/auth/login", map[string]any{"identifier": email, "password": e2ePassword}).Status)

	for _, tc := range []struct {
		name   string
		body   string
		code   string
		fields []string
	}{
		{"NULEscapedInIdentifier", `{"identifier":"strict-json\u0000@example.com","password":"` + e2ePassword + `"}`, "VALIDATION_FAILED", []string{"identifier"}},
		{"NULAtEndOfIdentifier", `{"identifier":"` + email + `\u0000","password":"` + e2ePassword + `"}`, "VALIDATION_FAILED", []string{"identifier"}},
		{"NULRawInIdentifier", "{\"identifier\":\"strict-json\x00@example.com\",\"password\":\"" + e2ePassword + "\"}", "VALIDATION_FAILED", []string{"identifier"}},
		{"DuplicateIdentifier", `{"identifier":"someone@example.com","identifier":"` + email + `","password":"` + e2ePassword + `"}`, "VALIDATION_FAILED", []string{"identifier"}},
		{"DuplicatePassword", `{"identifier":"` + email + `","password":"wrong-password-1","password":"` + e2ePassword + `"}`, "VALIDATION_FAILED", []string{"password"}},
		{"InvalidUTF8InPassword", "{\"identifier\":\"" + email + "\",\"password\":\"" + e2ePassword + "\xff\"}", "VALIDATION_FAILED", []string{"password"}},
		{"LoneSurrogateInIdentifier", `{"identifier":"strict-json\ud800@example.com","password":"` + e2ePassword + `"}`, "VALIDATION_FAILED", []string{"identifier"}},
		{"InvalidUTF8InKey", "{\"ident\xffifier\":\"" + email + "\",\"password\":\"" + e2ePassword + "\"}", "MALFORMED_JSON", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(t, "/auth/login", e2eRaw(tc.body))
			p := e2eCheckProblem(t, r, http.StatusBadRequest, tc.code)
			assert.Equal(t, tc.fields, p.Fields())
			assert.NotContains(t, string(r.Body), "accessToken")
		})
	}
	t.Run("NULInRegisterEmail", func(t *testing.T) {
		r := e.post(t, "/auth/register", e2eRaw(`{"email":"nul\u0000@example.com","password":"`+e2ePassword+`"}`))
		p := e2eCheckProblem(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
		assert.Equal(t, []string{"email"}, p.Fields())
	})
}
