package usermgmt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// The two-factor flows over HTTP, as a host mounts the handler. Every
// answer is also checked against the schema the OpenAPI document gives for
// its route and status. Helpers carry a tfa prefix.

const tfaPassword = "Saffron-Tundra-Beacon-31"

// tfaHOTP computes RFC 4226 codes with crypto/hmac, independently of the
// server's code.
func tfaHOTP(secret []byte, counter uint64) string { return testkit.HOTP(secret, counter, 6) }

type tfaEnv struct {
	t     *testing.T
	m     *usermgmt.Manager
	srv   *httptest.Server
	clock *testkit.Clock
	doc   *openapi3.T
	box   *testkit.Mailbox
}

func newTFAEnv(t *testing.T, st store.Store, opts ...usermgmt.Option) *tfaEnv {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI())
	require.NoError(t, err)
	e := &tfaEnv{t: t, clock: testkit.NewClock(time.Date(2031, 5, 6, 7, 8, 10, 0, time.UTC)), doc: doc, box: &testkit.Mailbox{}}
	base := []usermgmt.Option{
		usermgmt.WithHasher(auth.Bcrypt{Cost: 4}),
		usermgmt.WithClock(e.clock.Now),
		usermgmt.WithBaseURL("https://app.example.com"),
		usermgmt.WithMailer(e.box),
		usermgmt.WithSMSSender(e.box),
	}
	e.m, err = usermgmt.New(st, append(base, opts...)...)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", e.m.Handler()))
	e.srv = httptest.NewServer(mux)
	// The outbox's dispatcher, as Run runs it: notices are mailed through it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.m.Outbox().Run(ctx) }()
	t.Cleanup(func() {
		e.srv.Close()
		cancel()
		<-done
		_ = e.m.Close()
	})
	return e
}

type tfaResp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r *tfaResp) String() string { return fmt.Sprintf("%d %s", r.Status, r.Raw) }

// call sends a JSON request (body nil for none) with an optional bearer
// token and checks the answer against the OpenAPI document. It is safe to
// call from any goroutine; it reports failures with t.Errorf.
func (e *tfaEnv) call(t testing.TB, method, path string, body any, token string, hdr ...string) *tfaResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Errorf("encode: %v", err)
			return &tfaResp{}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, rd)
	if err != nil {
		t.Errorf("request: %v", err)
		return &tfaResp{}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return &tfaResp{}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &tfaResp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Errorf("%s %s: body is not a JSON object: %s", method, path, raw)
		}
	}
	e.checkDocumented(t, method, path, r, res.Header.Get("Content-Type"))
	return r
}

// checkDocumented validates an answer against its documented schema.
func (e *tfaEnv) checkDocumented(t testing.TB, method, path string, r *tfaResp, contentType string) {
	t.Helper()
	item := e.doc.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		t.Errorf("%s %s is not documented", method, path)
		return
	}
	ref := item.GetOperation(method).Responses.Status(r.Status)
	if ref == nil || ref.Value == nil {
		t.Errorf("%s %s does not document status %d (%s)", method, path, r.Status, r.Raw)
		return
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Errorf("%s %s: content type %q", method, path, contentType)
		return
	}
	media := ref.Value.Content.Get(mt)
	if media == nil {
		t.Errorf("%s %s %d: %s is not documented", method, path, r.Status, mt)
		return
	}
	var v any
	_ = json.Unmarshal(r.Raw, &v)
	err = media.Schema.Value.VisitJSON(v)
	var me openapi3.MultiError
	if errors.As(err, &me) {
		err = errors.Join(me...)
	}
	if err != nil {
		t.Errorf("%s %s %d: the body does not match the documented schema: %v\nbody: %s", method, path, r.Status, err, r.Raw)
	}
}

func tfaProblem(t testing.TB, r *tfaResp, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.Status, "%s", r)
	assert.Equal(t, code, r.Body["code"], "%s", r)
}

// register creates an account and signs it in; it returns the access
// token.
func (e *tfaEnv) register(t testing.TB, email string) string {
	t.Helper()
	r := e.call(t, "POST", "/auth/register", map[string]any{"email": email, "password": tfaPassword}, "")
	require.Equal(t, http.StatusCreated, r.Status, "%s", r)
	r = e.call(t, "POST", "/auth/login", map[string]any{"identifier": email, "password": tfaPassword}, "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	require.NotEmpty(t, r.Body["accessToken"])
	return r.Body["accessToken"].(string)
}

// challenge signs in with a password and expects a 2FA challenge; it
// returns the mfa token.
func (e *tfaEnv) challenge(t testing.TB, email string, methods ...string) string {
	t.Helper()
	r := e.call(t, "POST", "/auth/login", map[string]any{"identifier": email, "password": tfaPassword}, "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, true, r.Body["mfaRequired"])
	assert.NotContains(t, r.Body, "accessToken")
	assert.NotContains(t, r.Body, "refreshToken")
	if len(methods) > 0 {
		var got []string
		for _, m := range r.Body["methods"].([]any) {
			got = append(got, m.(string))
		}
		assert.Equal(t, methods, got)
	}
	return r.Body["mfaToken"].(string)
}

var tfaCodeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

// lastCode waits for a mail or text to addr and returns the code in the
// newest one.
func (e *tfaEnv) lastCode(t testing.TB, addr string, after int) string {
	t.Helper()
	code := ""
	if !testkit.Poll(5*time.Second, func() bool {
		var bodies []string
		for _, m := range e.box.MessagesTo(addr) {
			bodies = append(bodies, m.Text)
		}
		for _, s := range e.box.TextsTo(addr) {
			bodies = append(bodies, s.Body)
		}
		if len(bodies) > after {
			code = tfaCodeRE.FindString(bodies[len(bodies)-1])
		}
		return code != ""
	}) {
		t.Fatalf("no new code sent to %s", addr)
	}
	return code
}

func (e *tfaEnv) sent(addr string) int {
	return len(e.box.MessagesTo(addr)) + len(e.box.TextsTo(addr))
}

// waitSubject waits for a mail to addr with the subject.
func (e *tfaEnv) waitSubject(t testing.TB, addr, subject string) {
	t.Helper()
	if _, ok := e.box.Wait(addr, subject, 5*time.Second); !ok {
		t.Errorf("no mail to %s with subject %q", addr, subject)
	}
}

func TestE2ETwoFactorTOTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		e := newTFAEnv(t, st, usermgmt.WithEncryptionKey(key), usermgmt.WithTOTPIssuer("Acme"))
		access := e.register(t, "ada@example.com")
		var secret []byte
		var backup []string
		code := func(steps int64) string { return tfaHOTP(secret, uint64(e.clock.Now().Unix()/30+steps)) }
		wrong := func(right string) string {
			if right == "000000" {
				return "111111"
			}
			return "000000"
		}

		t.Run("StatusOff", func(t *testing.T) {
			r := e.call(t, "GET", "/2fa/status", nil, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, map[string]any{"enabled": false, "method": nil, "backupCodesRemaining": float64(0)}, r.Body)
		})
		t.Run("Setup", func(t *testing.T) {
			r := e.call(t, "POST", "/2fa/setup", map[string]any{"method": "totp"}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			var err error
			secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(r.Body["secret"].(string))
			require.NoError(t, err)
			assert.Len(t, secret, 20)

			link, err := url.Parse(r.Body["otpauthUrl"].(string))
			require.NoError(t, err)
			assert.Equal(t, "otpauth", link.Scheme)
			assert.Equal(t, "/Acme:ada@example.com", link.Path)
			assert.Equal(t, "Acme", link.Query().Get("issuer"))
			assert.Equal(t, r.Body["secret"], link.Query().Get("secret"))

			b64, ok := strings.CutPrefix(r.Body["qrCode"].(string), "data:image/png;base64,")
			require.True(t, ok)
			raw, err := base64.StdEncoding.DecodeString(b64)
			require.NoError(t, err)
			var img image.Image
			img, err = png.Decode(bytes.NewReader(raw))
			require.NoError(t, err, "the QR code is a PNG")
			assert.Positive(t, img.Bounds().Dx())

			// At rest the secret is sealed, not stored.
			tf, err := st.TwoFactor().Get(context.Background(), e.userID(t, "ada@example.com"))
			require.NoError(t, err)
			assert.False(t, bytes.Contains(tf.Secret, secret))

			s := e.call(t, "GET", "/2fa/status", nil, access)
			assert.Equal(t, false, s.Body["enabled"], "setup leaves 2FA off")
			login := e.call(t, "POST", "/auth/login", map[string]any{"identifier": "ada@example.com", "password": tfaPassword}, "")
			assert.NotEmpty(t, login.Body["accessToken"], "no challenge before enable")
		})
		t.Run("Enable", func(t *testing.T) {
			tfaProblem(t, e.call(t, "POST", "/2fa/enable", map[string]any{"code": wrong(code(0))}, access), 400, "INVALID_CODE")
			r := e.call(t, "POST", "/2fa/enable", map[string]any{"code": code(0)}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			for _, c := range r.Body["backupCodes"].([]any) {
				backup = append(backup, c.(string))
			}
			require.Len(t, backup, 10)
			tfaProblem(t, e.call(t, "POST", "/2fa/setup", map[string]any{"method": "email"}, access), 400, "MFA_ALREADY_ENABLED")
			s := e.call(t, "GET", "/2fa/status", nil, access)
			assert.Equal(t, map[string]any{"enabled": true, "method": "totp", "backupCodesRemaining": float64(10)}, s.Body)
			e.clock.Advance(30 * time.Second)
		})
		t.Run("LoginWithCode", func(t *testing.T) {
			token := e.challenge(t, "ada@example.com", "totp")
			r := e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code(0)}, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.NotEmpty(t, r.Body["accessToken"])
			assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			assert.Equal(t, true, r.Body["user"].(map[string]any)["twoFactorEnabled"])
			access = r.Body["accessToken"].(string)
			me := e.call(t, "GET", "/2fa/status", nil, access)
			assert.Equal(t, http.StatusOK, me.Status, "the new tokens work")

			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code(0)}, ""), 401, "MFA_TOKEN_INVALID")
			again := e.challenge(t, "ada@example.com")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": again, "code": code(0)}, ""), 400, "INVALID_CODE")
		})
		t.Run("LoginWithBackupCode", func(t *testing.T) {
			token := e.challenge(t, "ada@example.com")
			r := e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "backupCode": strings.ToLower(backup[0])}, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.NotEmpty(t, r.Body["refreshToken"])
			token = e.challenge(t, "ada@example.com")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "backupCode": backup[0]}, ""), 400, "INVALID_CODE")
			s := e.call(t, "GET", "/2fa/status", nil, access)
			assert.Equal(t, float64(9), s.Body["backupCodesRemaining"])
		})
		t.Run("StepUp", func(t *testing.T) {
			e.clock.Advance(30 * time.Second)
			r := e.call(t, "POST", "/2fa/verify", map[string]any{"code": code(0)}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, map[string]any{"verified": true}, r.Body)
			p, err := e.m.Auth().Authenticate(context.Background(), access, "")
			require.NoError(t, err)
			sess, err := st.Sessions().ByID(context.Background(), p.SessionID)
			require.NoError(t, err)
			require.NotNil(t, sess.MFAVerifiedAt, "the session is marked verified")

			tfaProblem(t, e.call(t, "POST", "/2fa/verify", map[string]any{"code": code(0)}, access), 400, "INVALID_CODE")
			r = e.call(t, "POST", "/2fa/verify-backup", map[string]any{"code": backup[1]}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, float64(8), r.Body["backupCodesRemaining"])
			tfaProblem(t, e.call(t, "POST", "/2fa/send", nil, access), 400, "MFA_NOT_ENABLED")
		})
		t.Run("RegenerateBackupCodes", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute) // a fresh per-user request window
			tfaProblem(t, e.call(t, "POST", "/2fa/backup-codes", map[string]any{"password": "not it"}, access), 403, "INVALID_PASSWORD")
			r := e.call(t, "POST", "/2fa/backup-codes", map[string]any{"password": tfaPassword}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			fresh := r.Body["backupCodes"].([]any)
			require.Len(t, fresh, 10)
			token := e.challenge(t, "ada@example.com")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "backupCode": backup[2]}, ""), 400, "INVALID_CODE")
			backup = nil
			for _, c := range fresh {
				backup = append(backup, c.(string))
			}
		})
		t.Run("Disable", func(t *testing.T) {
			e.clock.Advance(30 * time.Second)
			tfaProblem(t, e.call(t, "POST", "/2fa/disable", map[string]any{"password": tfaPassword, "code": wrong(code(0))}, access), 400, "INVALID_CODE")
			tfaProblem(t, e.call(t, "POST", "/2fa/disable", map[string]any{"password": "not it", "code": code(0)}, access), 403, "INVALID_PASSWORD")
			tfaProblem(t, e.call(t, "POST", "/2fa/disable", map[string]any{"password": tfaPassword}, access), 400, "VALIDATION_FAILED")
			s := e.call(t, "GET", "/2fa/status", nil, access)
			assert.Equal(t, true, s.Body["enabled"], "refused attempts change nothing")

			r := e.call(t, "POST", "/2fa/disable", map[string]any{"password": tfaPassword, "code": code(0)}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, false, r.Body["enabled"])
			login := e.call(t, "POST", "/auth/login", map[string]any{"identifier": "ada@example.com", "password": tfaPassword}, "")
			require.Equal(t, http.StatusOK, login.Status)
			assert.NotEmpty(t, login.Body["accessToken"], "no challenge once 2FA is off")
		})
		t.Run("Notices", func(t *testing.T) {
			e.waitSubject(t, "ada@example.com", "Two-factor authentication turned on")
			e.waitSubject(t, "ada@example.com", "Two-factor authentication turned off")
		})
		t.Run("Audited", func(t *testing.T) {
			id := e.userID(t, "ada@example.com")
			for _, tc := range []struct {
				action  string
				outcome store.Outcome
			}{
				{"2fa.setup", store.OutcomeSuccess}, {"2fa.enable", store.OutcomeSuccess}, {"2fa.enable", store.OutcomeFailure},
				{"auth.login_2fa", store.OutcomeSuccess}, {"2fa.verify", store.OutcomeFailure},
				{"2fa.verify", store.OutcomeSuccess}, {"2fa.verify_backup", store.OutcomeSuccess},
				{"2fa.backup_codes_regenerate", store.OutcomeSuccess}, {"2fa.backup_codes_regenerate", store.OutcomeDenied},
				{"2fa.disable", store.OutcomeSuccess}, {"2fa.disable", store.OutcomeFailure}, {"2fa.disable", store.OutcomeDenied},
			} {
				page, err := st.Audit().List(context.Background(), store.AuditFilter{Action: tc.action, TargetID: id, Outcome: tc.outcome}, store.ListRequest{Limit: store.MaxLimit})
				rows := page.Items
				require.NoError(t, err)
				assert.NotEmpty(t, rows, "%s %s", tc.action, tc.outcome)
			}
			page, err := st.Audit().List(context.Background(), store.AuditFilter{Action: "2fa.disable", TargetID: id, Outcome: store.OutcomeDenied}, store.ListRequest{Limit: store.MaxLimit})
			rows := page.Items
			require.NoError(t, err)
			assert.Len(t, rows, 1, "a refused password is audited once, not again at the edge")
		})
	})
}

func (e *tfaEnv) userID(t testing.TB, email string) string {
	t.Helper()
	u, err := e.m.Store().Users().ByEmail(context.Background(), email)
	require.NoError(t, err)
	return u.ID
}

func TestE2ETwoFactorEmailAndSMS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFAEnv(t, st)

		t.Run("Email", func(t *testing.T) {
			access := e.register(t, "quinn@example.com")
			n := e.sent("quinn@example.com")
			r := e.call(t, "POST", "/2fa/setup", map[string]any{"method": "email"}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, map[string]any{"method": "email", "sentTo": "q***@example.com"}, r.Body)
			code := e.lastCode(t, "quinn@example.com", n)
			require.Equal(t, http.StatusOK, e.call(t, "POST", "/2fa/enable", map[string]any{"code": code}, access).Status)

			token := e.challenge(t, "quinn@example.com", "email")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa/send", map[string]any{"mfaToken": token, "method": "sms"}, ""), 400, "MFA_NOT_ENABLED")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa/send", map[string]any{"mfaToken": "nope", "method": "email"}, ""), 401, "MFA_TOKEN_INVALID")
			n = e.sent("quinn@example.com")
			r = e.call(t, "POST", "/auth/login/2fa/send", map[string]any{"mfaToken": token, "method": "email"}, "")
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r)
			assert.Equal(t, "q***@example.com", r.Body["sentTo"])
			code = e.lastCode(t, "quinn@example.com", n)
			r = e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code}, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			access = r.Body["accessToken"].(string)

			// Disabling needs a current code: the signed-in user asks for one.
			n = e.sent("quinn@example.com")
			r = e.call(t, "POST", "/2fa/send", nil, access)
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r)
			code = e.lastCode(t, "quinn@example.com", n)
			r = e.call(t, "POST", "/2fa/disable", map[string]any{"password": tfaPassword, "code": code}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
		})
		t.Run("SMS", func(t *testing.T) {
			access := e.register(t, "cy@example.com")
			r := e.call(t, "POST", "/2fa/setup", map[string]any{"method": "sms"}, access)
			tfaProblem(t, r, 400, "VALIDATION_FAILED")
			assert.Equal(t, "phoneNumber", r.Body["errors"].([]any)[0].(map[string]any)["field"])

			u, err := st.Users().ByEmail(context.Background(), "cy@example.com")
			require.NoError(t, err)
			_, err = st.Users().Update(context.Background(), u.ID, func(u *store.User) error {
				u.PhoneNumber = "+447700900123"
				return nil
			})
			require.NoError(t, err)
			r = e.call(t, "POST", "/2fa/setup", map[string]any{"method": "sms"}, access)
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			assert.Equal(t, "+********0123", r.Body["sentTo"])
			code := e.lastCode(t, "+447700900123", 0)
			require.Equal(t, http.StatusOK, e.call(t, "POST", "/2fa/enable", map[string]any{"code": code}, access).Status)

			token := e.challenge(t, "cy@example.com", "sms")
			n := e.sent("+447700900123")
			require.Equal(t, http.StatusAccepted, e.call(t, "POST", "/auth/login/2fa/send", map[string]any{"mfaToken": token, "method": "sms"}, "").Status)
			code = e.lastCode(t, "+447700900123", n)
			r = e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code}, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
		})
	})
}

func TestE2ETwoFactorChallenge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFAEnv(t, st)
		access := e.register(t, "dee@example.com")
		r := e.call(t, "POST", "/2fa/setup", map[string]any{"method": "totp"}, access)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(r.Body["secret"].(string))
		require.NoError(t, err)
		code := func() string { return tfaHOTP(secret, uint64(e.clock.Now().Unix()/30)) }
		r = e.call(t, "POST", "/2fa/enable", map[string]any{"code": code()}, access)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		var backup []string
		for _, c := range r.Body["backupCodes"].([]any) {
			backup = append(backup, c.(string))
		}
		e.clock.Advance(30 * time.Second)

		t.Run("Expired", func(t *testing.T) {
			token := e.challenge(t, "dee@example.com")
			e.clock.Advance(5 * time.Minute)
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code()}, ""), 401, "MFA_TOKEN_INVALID")
		})
		t.Run("BadInput", func(t *testing.T) {
			token := e.challenge(t, "dee@example.com")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token}, ""), 400, "VALIDATION_FAILED")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": 123456}, ""), 400, "VALIDATION_FAILED")
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": "1", "extra": true}, ""), 400, "VALIDATION_FAILED")
		})
		t.Run("FingerprintBinding", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			r := e.call(t, "POST", "/auth/login", map[string]any{"identifier": "dee@example.com", "password": tfaPassword}, "",
				"X-Device-Fingerprint", "fp-1")
			token := r.Body["mfaToken"].(string)
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code()}, ""), 401, "MFA_TOKEN_INVALID")
			r = e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code()}, "", "X-Device-Fingerprint", "fp-1")
			require.Equal(t, http.StatusOK, r.Status, "%s", r)
			tfaProblem(t, e.call(t, "GET", "/2fa/status", nil, r.Body["accessToken"].(string)), 401, "UNAUTHENTICATED")
		})
		t.Run("FiveWrongCodes", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			token := e.challenge(t, "dee@example.com")
			for range 5 {
				tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": "000000"}, ""), 400, "INVALID_CODE")
			}
			tfaProblem(t, e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": token, "code": code()}, ""), 401, "MFA_TOKEN_INVALID")
			r := e.call(t, "POST", "/auth/login", map[string]any{"identifier": "dee@example.com", "password": tfaPassword}, "")
			tfaProblem(t, r, 423, "ACCOUNT_LOCKED")
			assert.NotEmpty(t, r.Header.Get("Retry-After"))
			e.clock.Advance(16 * time.Minute)
			e.challenge(t, "dee@example.com")
		})
		t.Run("ParallelBackupCode", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			tokens := make([]string, 6)
			for i := range tokens {
				tokens[i] = e.challenge(t, "dee@example.com")
			}
			var wg sync.WaitGroup
			statuses := make([]int, len(tokens))
			for i, tok := range tokens {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = e.call(t, "POST", "/auth/login/2fa", map[string]any{"mfaToken": tok, "backupCode": backup[0]}, "").Status
				}()
			}
			wg.Wait()
			ok := 0
			for _, s := range statuses {
				if s == http.StatusOK {
					ok++
				} else {
					assert.Contains(t, []int{400, 423}, s)
				}
			}
			assert.Equal(t, 1, ok, "exactly one of the parallel uses of a backup code wins: %v", statuses)
		})
	})
}

func TestE2ETwoFactorKeys(t *testing.T) {
	t.Run("WrongSize", func(t *testing.T) {
		_, err := usermgmt.New(dbtest.SQLite(t), usermgmt.WithEncryptionKey(make([]byte, 16)))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "WithEncryptionKey")
	})
	t.Run("StoreKeptKeyWarns", func(t *testing.T) {
		var logs bytes.Buffer
		st := dbtest.SQLite(t)
		e := newTFAEnv(t, st, usermgmt.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		assert.Contains(t, logs.String(), "WithEncryptionKey")
		access := e.register(t, "eve@example.com")
		r := e.call(t, "POST", "/2fa/setup", map[string]any{"method": "totp"}, access)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(r.Body["secret"].(string))
		r = e.call(t, "POST", "/2fa/enable", map[string]any{"code": tfaHOTP(secret, uint64(e.clock.Now().Unix()/30))}, access)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
	})
	t.Run("DerivedFromHS256Secret", func(t *testing.T) {
		var logs bytes.Buffer
		secret := bytes.Repeat([]byte("s"), 32)
		newTFAEnv(t, dbtest.SQLite(t), usermgmt.WithHS256Secret(secret),
			usermgmt.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		assert.NotContains(t, logs.String(), "WithEncryptionKey", "no warning with host-provided material")
	})
}
