package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/testkit"
)

// startServer runs the example's handler, as main builds it from env, on
// a fresh SQLite file, with mail captured in the returned mailbox.
func startServer(t *testing.T, env map[string]string) (*httptest.Server, *usermgmt.Manager, *testkit.Mailbox) {
	t.Helper()
	vars := map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), "usermgmt.db")}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := loadConfig(envOf(vars))
	require.NoError(t, err)
	box := &testkit.Mailbox{}
	m, err := newManager(context.Background(), cfg, slog.New(slog.DiscardHandler),
		usermgmt.WithMailer(box), usermgmt.WithHasher(auth.Bcrypt{Cost: 4}))
	require.NoError(t, err)
	srv := httptest.NewServer(newHandler(m))
	// As run does: the background jobs deliver the outbox (mail).
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { srv.Close(); cancel(); <-done; _ = m.Close() })
	return srv, m, box
}

func post(t *testing.T, srv *httptest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	res, err := srv.Client().Post(srv.URL+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

var linkPattern = regexp.MustCompile(`https?://\S+\?token=[^\s"<]+`)

// mailedLink waits for the n-th message to addr and returns its link's
// path and query, to be opened on srv.
func mailedLink(t *testing.T, box *testkit.Mailbox, addr string, n int) *url.URL {
	t.Helper()
	require.True(t, testkit.Poll(5*time.Second, func() bool { return len(box.MessagesTo(addr)) >= n }), "no mail %d to %s", n, addr)
	msg := box.MessagesTo(addr)[n-1]
	raw := linkPattern.FindString(msg.Text)
	require.NotEmpty(t, raw, "no link in %q", msg.Text)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return &url.URL{Path: u.Path, RawQuery: u.RawQuery}
}

func get(t *testing.T, srv *httptest.Server, ref *url.URL) (*http.Response, string) {
	t.Helper()
	res, err := srv.Client().Get(srv.URL + ref.String())
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

func TestEmailLinksWork(t *testing.T) {
	srv, m, box := startServer(t, nil)
	const email = "ada@example.com"
	status, _ := post(t, srv, "/api/v1/auth/register", `{"email":"`+email+`","password":"correct horse battery"}`)
	require.Equal(t, http.StatusCreated, status)

	t.Run("verification link opens the API's GET route", func(t *testing.T) {
		link := mailedLink(t, box, email, 1)
		assert.Equal(t, verifyPath, link.Path)
		res, body := get(t, srv, link)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.JSONEq(t, `{"emailVerified":true}`, body)
	})

	resetFlow := func(t *testing.T, link *url.URL, password string) {
		t.Helper()
		assert.Equal(t, resetPath, link.Path)
		res, body := get(t, srv, link)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
		csp := res.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "script-src 'self'")
		assert.NotContains(t, csp, "unsafe-inline")
		assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		assert.NotRegexp(t, `<script>|<script[^>]*>[^<]+</script>|\son[a-z]+=`, body, "no inline script or handlers")
		assert.Contains(t, body, `data-api="/api/v1"`)

		// The page's assets are served.
		for _, src := range regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(body, -1) {
			res, asset := get(t, srv, &url.URL{Path: src[1]})
			assert.Equal(t, http.StatusOK, res.StatusCode, src[1])
			assert.NotEmpty(t, asset)
			if strings.HasSuffix(src[1], ".js") {
				// What the script posts, and where.
				assert.Contains(t, asset, `api + "/auth/reset-password"`)
				assert.Contains(t, asset, `JSON.stringify({ token: token, newPassword: password })`)
			}
		}

		// What the script sends: the token from the link and the password.
		token := link.Query().Get("token")
		body2, _ := json.Marshal(map[string]string{"token": token, "newPassword": password})
		status, _ := post(t, srv, "/api/v1/auth/reset-password", string(body2))
		assert.Equal(t, http.StatusOK, status)
		status, _ = post(t, srv, "/api/v1/auth/login", `{"identifier":"`+email+`","password":"`+password+`"}`)
		assert.Equal(t, http.StatusOK, status, "the new password signs in")

		// The link is spent: the page would show the API's refusal.
		status, problem := post(t, srv, "/api/v1/auth/reset-password", string(body2))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "INVALID_TOKEN", problem["code"])
	}

	t.Run("reset link opens a page that resets", func(t *testing.T) {
		n := len(box.MessagesTo(email))
		status, _ := post(t, srv, "/api/v1/auth/forgot-password", `{"email":"`+email+`"}`)
		require.Equal(t, http.StatusAccepted, status)
		resetFlow(t, mailedLink(t, box, email, n+1), "a brand new passphrase")
	})

	t.Run("invitation link opens the same page", func(t *testing.T) {
		u, err := m.Store().Users().ByEmail(context.Background(), email)
		require.NoError(t, err)
		n := len(box.MessagesTo(email))
		require.NoError(t, m.Auth().Invite(usermgmt.NewContextWithActor(context.Background(), usermgmt.SystemActor), u.ID))
		resetFlow(t, mailedLink(t, box, email, n+1), "an invited passphrase")
	})
}

func TestRateLimitVariable(t *testing.T) {
	tests := []struct {
		name      string
		value     string
		wantLimit bool
	}{
		{name: "0 turns off every limit, the per-identifier login limit too", value: "0", wantLimit: false},
		{name: "any other value keeps the tight limits", value: "1000", wantLimit: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, _ := startServer(t, map[string]string{"USERMGMT_RATE_LIMIT": tc.value})
			limited := false
			for range 15 { // the login limit per identifier is 10 a minute
				status, _ := post(t, srv, "/api/v1/auth/login", `{"identifier":"nobody@example.com","password":"wrong password"}`)
				if status == http.StatusTooManyRequests {
					limited = true
					break
				}
			}
			assert.Equal(t, tc.wantLimit, limited)
		})
	}
}

// TestAvatarFolder uploads an avatar to the example server: the files land
// in the folder beside the SQLite file and are served below /api/v1.
func TestAvatarFolder(t *testing.T) {
	dir := t.TempDir()
	srv, _, _ := startServer(t, map[string]string{"DATABASE_URL": "sqlite://" + filepath.Join(dir, "users.db"),
		"USERMGMT_BASE_URL": "http://example.test"})
	status, _ := post(t, srv, "/api/v1/auth/register", `{"email":"ada@example.com","password":"violet-harbour-lantern-42"}`)
	require.Equal(t, http.StatusCreated, status)
	status, tokens := post(t, srv, "/api/v1/auth/login", `{"identifier":"ada@example.com","password":"violet-harbour-lantern-42"}`)
	require.Equal(t, http.StatusOK, status)

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("avatar", "me.png")
	require.NoError(t, err)
	_, err = fw.Write(testkit.PNG(64, 64, false))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/upload/avatar", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tokens["accessToken"].(string))
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]string
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	require.Equal(t, http.StatusOK, res.StatusCode, "%v", out)

	name := strings.TrimPrefix(out["avatarUrl"], "http://example.test/api/v1/avatars/")
	_, err = os.Stat(filepath.Join(dir, "users-avatars", name))
	assert.NoError(t, err, "the file is in the folder beside the database")
	file, err := srv.Client().Get(srv.URL + "/api/v1/avatars/" + name)
	require.NoError(t, err)
	defer file.Body.Close()
	assert.Equal(t, http.StatusOK, file.StatusCode)
	assert.Equal(t, "image/jpeg", file.Header.Get("Content-Type"))
}
