package usermgmt_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// e2eBaseURL is what links in emails start with; tests rewrite it to the
// test server.
const e2eBaseURL = "https://app.example.com"

// e2ePassword is a password every policy in these tests accepts.
const e2ePassword = "violet-harbour-lantern-42"

// e2eMail is one message the in-test SMTP server accepted, decoded.
type e2eMail struct {
	From    string
	To      []string
	Subject string
	Text    string // the text/plain part, transfer encoding undone
	Raw     []byte
}

// Links returns the http(s) links in the text body.
func (m e2eMail) Links() []string { return e2eLinkRE.FindAllString(m.Text, -1) }

var e2eLinkRE = regexp.MustCompile(`https?://[^\s"'<>]+`)

// e2eMailbox reads what the in-test SMTP server accepted.
type e2eMailbox struct {
	srv   *testkit.SMTPServer
	mu    sync.Mutex
	taken map[int]bool // by index in srv.Messages()
}

// mails returns every accepted message, decoded, oldest first, and the
// errors of those that did not decode.
func (b *e2eMailbox) mails() ([]e2eMail, []error) {
	var (
		out  []e2eMail
		errs []error
	)
	for _, c := range b.srv.Messages() {
		m, err := e2eParseMail(c.Data)
		m.From, m.To, m.Raw = c.From, c.To, c.Data
		out = append(out, m)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errs
}

// e2eParseMail decodes a message the way a mail client would: headers
// with net/mail, the text/plain part of a multipart/alternative body, and
// the quoted-printable transfer encoding.
func e2eParseMail(raw []byte) (e2eMail, error) {
	var m e2eMail
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m, fmt.Errorf("read message: %w", err)
	}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("subject: %w", err)
	}
	text, err := e2eTextPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	m.Text = text
	return m, err
}

func e2eTextPart(contentType, cte string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("content type %q: %w", contentType, err)
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextPart undoes quoted-printable itself and hides the header.
			p, err := mr.NextPart()
			if err == io.EOF {
				return "", fmt.Errorf("no text/plain part")
			}
			if err != nil {
				return "", err
			}
			text, err := e2eTextPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if err == nil && text != "" {
				return text, nil
			}
		}
	case mt == "text/plain":
		if strings.EqualFold(cte, "quoted-printable") {
			body = quotedprintable.NewReader(body)
		} else if strings.EqualFold(cte, "base64") {
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		return string(b), err
	}
	return "", nil
}

// next returns the first message not yet taken that went to addr and whose
// subject contains subject, waiting up to timeout for it to arrive.
func (b *e2eMailbox) next(t testing.TB, addr, subject string, timeout time.Duration) e2eMail {
	t.Helper()
	var m e2eMail
	if !testkit.Poll(timeout, func() bool {
		var ok bool
		m, ok = b.take(addr, subject)
		return ok
	}) {
		t.Fatalf("no mail to %s with subject %q within %s; have %d messages", addr, subject, timeout, b.count())
	}
	return m
}

func (b *e2eMailbox) take(addr, subject string) (e2eMail, bool) {
	msgs, _ := b.mails()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, m := range msgs {
		if b.taken[i] || !strings.Contains(m.Subject, subject) {
			continue
		}
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				if b.taken == nil {
					b.taken = map[int]bool{}
				}
				b.taken[i] = true
				return m, true
			}
		}
	}
	return e2eMail{}, false
}

// to counts the messages (taken or not) sent to addr.
func (b *e2eMailbox) to(addr string) int { return b.countSubject(addr, "") }

// countSubject counts the messages (taken or not) sent to addr whose
// subject contains subject.
func (b *e2eMailbox) countSubject(addr, subject string) int {
	msgs, _ := b.mails()
	n := 0
	for _, m := range msgs {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) && strings.Contains(m.Subject, subject) {
				n++
			}
		}
	}
	return n
}

func (b *e2eMailbox) count() int { return len(b.srv.Messages()) }

// startE2ESMTP runs a real go-smtp server on 127.0.0.1 until the test ends
// and returns a mailbox reading it. Messages that do not decode fail the
// test at the end.
func startE2ESMTP(t testing.TB) *e2eMailbox {
	t.Helper()
	box := &e2eMailbox{srv: testkit.StartSMTP(t, testkit.SMTPOptions{})}
	t.Cleanup(func() {
		_, errs := box.mails()
		for _, err := range errs {
			t.Errorf("captured mail did not parse: %v", err)
		}
	})
	return box
}

// e2eLog collects the Manager's log so that a failing test can show it.
type e2eLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *e2eLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *e2eLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// e2eEnv is a Manager mounted exactly as a host mounts it, with a real
// SMTP exchange and a settable clock. Its host mux also serves the JWKS at
// the site root and GET /orders, a host route behind m.RequireAuth.
type e2eEnv struct {
	m     *usermgmt.Manager
	srv   *httptest.Server
	api   string // srv.URL + "/api/v1"
	clock *testkit.Clock
	mail  *e2eMailbox
	log   *e2eLog
}

// newE2E starts an environment on st (a fresh SQLite store when nil).
// opts come after the defaults and win.
func newE2E(t testing.TB, st store.Store, opts ...usermgmt.Option) *e2eEnv {
	t.Helper()
	if st == nil {
		st = dbtest.SQLite(t)
	}
	box := startE2ESMTP(t)
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{
		Host: "127.0.0.1", Port: box.srv.Port, From: "Example <no-reply@example.com>", Timeout: 10 * time.Second,
	})
	require.NoError(t, err)
	clock := testkit.NewClock(time.Now().UTC().Truncate(time.Second))
	logs := &e2eLog{}
	base := []usermgmt.Option{
		usermgmt.WithHasher(auth.Bcrypt{Cost: 4}),
		usermgmt.WithMailer(mailer),
		usermgmt.WithBaseURL(e2eBaseURL),
		usermgmt.WithClock(clock.Now),
		usermgmt.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	}
	m, err := usermgmt.New(st, append(base, opts...)...)
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", m.Handler()))
	mux.Handle("GET /.well-known/jwks.json", m.JWKSHandler())
	mux.Handle("GET /orders", m.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := usermgmt.UserFromContext(r.Context())
		if !ok {
			http.Error(w, "no principal", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"userId": p.UserID, "sessionId": p.SessionID, "roles": p.Roles})
	})))
	srv := httptest.NewServer(mux)
	// The outbox's dispatcher, as Run runs it (without Run's purge and
	// cleanup, which tests drive themselves): events and mail flow.
	outboxCtx, stopOutbox := context.WithCancel(context.Background())
	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); _ = m.Outbox().Run(outboxCtx) }()
	t.Cleanup(func() {
		srv.Close()
		stopOutbox()
		<-outboxDone
		_ = m.Close() // waits for background mail; the store closes twice, harmlessly
		if t.Failed() {
			if s := logs.String(); s != "" {
				t.Logf("manager log:\n%s", s)
			}
		}
	})
	return &e2eEnv{m: m, srv: srv, api: srv.URL + "/api/v1", clock: clock, mail: box, log: logs}
}

// e2eResp is an answer, body read.
type e2eResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *e2eResp) String() string {
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}

// JSON decodes the body into a map.
func (r *e2eResp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// e2eRaw is a request body sent as is.
type e2eRaw string

// send sends a request to the API (path relative to /api/v1, or an
// absolute URL). body is nil (none), e2eRaw (as is) or a value encoded as
// JSON. hdr are header name/value pairs; a Content-Type among them
// replaces application/json. It is safe to call from any goroutine.
func (e *e2eEnv) send(method, path string, body any, hdr ...string) (*e2eResp, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case e2eRaw:
		rd = strings.NewReader(string(b))
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(enc)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.api + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if len(hdr)%2 != 0 {
		return nil, fmt.Errorf("odd header pairs %q", hdr)
	}
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &e2eResp{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

func (e *e2eEnv) do(t testing.TB, method, path string, body any, hdr ...string) *e2eResp {
	t.Helper()
	r, err := e.send(method, path, body, hdr...)
	require.NoError(t, err)
	return r
}

func (e *e2eEnv) post(t testing.TB, path string, body any, hdr ...string) *e2eResp {
	t.Helper()
	return e.do(t, http.MethodPost, path, body, hdr...)
}

func (e *e2eEnv) get(t testing.TB, path string, hdr ...string) *e2eResp {
	t.Helper()
	return e.do(t, http.MethodGet, path, nil, hdr...)
}

// e2eProblem is an RFC 9457 problem document.
type e2eProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	RequestID string `json:"requestId"`
}

// Fields lists the fields errors[] names.
func (p e2eProblem) Fields() []string {
	var f []string
	for _, e := range p.Errors {
		f = append(f, e.Field)
	}
	return f
}

// e2eCheckProblem asserts that r is a well-formed problem of the API with
// the status and code (code "" checks only the form), and returns it.
func e2eCheckProblem(t testing.TB, r *e2eResp, status int, code string) e2eProblem {
	t.Helper()
	var p e2eProblem
	if !assert.Equal(t, status, r.Status, "status; body %s", r.Body) {
		return p
	}
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	require.NoError(t, json.Unmarshal(r.Body, &p), "problem body %s", r.Body)
	if code != "" {
		assert.Equal(t, code, p.Code, "code; body %s", r.Body)
	}
	assert.Equal(t, status, p.Status, "problem status")
	assert.NotEmpty(t, p.Type)
	assert.NotEmpty(t, p.Title)
	assert.NotEmpty(t, p.Detail)
	assert.NotEmpty(t, r.Header.Get("X-Request-Id"))
	assert.Equal(t, r.Header.Get("X-Request-Id"), p.RequestID, "requestId equals X-Request-Id")
	e2eCheckHeaders(t, r)
	if p.Code == "VALIDATION_FAILED" {
		assert.NotEmpty(t, p.Errors, "VALIDATION_FAILED names fields")
	}
	return p
}

// e2eCheckHeaders asserts the headers every API response carries.
func e2eCheckHeaders(t testing.TB, r *e2eResp) {
	t.Helper()
	assert.NotEmpty(t, r.Header.Get("X-Request-Id"), "X-Request-Id")
	assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
	assert.True(t, r.Header.Get("X-Frame-Options") == "DENY" ||
		strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'"), "framing refused")
	assert.NotEmpty(t, r.Header.Get("Referrer-Policy"))
}

// e2eTokens is a login or refresh answer.
type e2eTokens struct {
	AccessToken  string         `json:"accessToken"`
	RefreshToken string         `json:"refreshToken"`
	TokenType    string         `json:"tokenType"`
	ExpiresIn    int            `json:"expiresIn"`
	User         map[string]any `json:"user"`
}

// register signs up email and returns the user's id, leaving the
// verification mail in the mailbox.
func (e *e2eEnv) register(t testing.TB, email string) string {
	t.Helper()
	r := e.post(t, "/auth/register", map[string]any{"email": email, "password": e2ePassword})
	require.Equal(t, http.StatusCreated, r.Status, "register: %s", r)
	id, _ := r.JSON(t)["id"].(string)
	require.NotEmpty(t, id)
	return id
}

// login signs in and returns the tokens; hdr are extra header pairs.
func (e *e2eEnv) login(t testing.TB, identifier, password string, hdr ...string) e2eTokens {
	t.Helper()
	r := e.post(t, "/auth/login", map[string]any{"identifier": identifier, "password": password}, hdr...)
	require.Equal(t, http.StatusOK, r.Status, "login: %s", r)
	var tk e2eTokens
	require.NoError(t, json.Unmarshal(r.Body, &tk))
	require.NotEmpty(t, tk.AccessToken)
	return tk
}

// linkToken returns the token query parameter of the first link in m that
// starts with the base URL, and that link rewritten to the test server.
func (e *e2eEnv) linkToken(t testing.TB, m e2eMail) (token, local string) {
	t.Helper()
	for _, l := range m.Links() {
		if !strings.HasPrefix(l, e2eBaseURL+"/") {
			continue
		}
		u, err := url.Parse(l)
		require.NoError(t, err)
		token = u.Query().Get("token")
		require.NotEmpty(t, token, "link %s has no token", l)
		return token, e.srv.URL + u.Path + "?" + u.RawQuery
	}
	t.Fatalf("no %s link in mail %q:\n%s", e2eBaseURL, m.Subject, m.Text)
	return "", ""
}

func e2eBearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// e2eParallel sends n requests at once, released together, and returns
// the answers; a transport error fails the test.
func e2eParallel(t testing.TB, n int, fn func(i int) (*e2eResp, error)) []*e2eResp {
	t.Helper()
	out := make([]*e2eResp, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return out
}

// e2eStatuses counts answers by status.
func e2eStatuses(rs []*e2eResp) map[int]int {
	m := map[int]int{}
	for _, r := range rs {
		if r != nil {
			m[r.Status]++
		}
	}
	return m
}

// drain wakes the outbox's dispatcher and waits until nothing is left to
// deliver (events and mail; dead letters aside), so that a test can count
// what arrived.
func (e *e2eEnv) drain(t testing.TB) {
	t.Helper()
	db := e.m.Store().(*bunstore.Store).DB()
	if !testkit.Poll(10*time.Second, func() bool {
		e.m.Outbox().Wake()
		n, err := db.NewSelect().Table("outbox_events").Where("delivered_at IS NULL AND dead_at IS NULL").Count(context.Background())
		return err == nil && n == 0
	}) {
		t.Fatal("the outbox still holds undelivered entries after 10 s")
	}
}
