package usermgmt

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
)

// outsideTests makes New behave as in a real program, where
// testing.Testing() is false.
func outsideTests() Option {
	return func(c *config) { c.inTest = func() bool { return false } }
}

// captureDefault points slog.Default() at a buffer for the test.
func captureDefault(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

func TestStartupWarnings(t *testing.T) {
	const consoleWarning = "console mailer in use"
	const keyWarning = "a copy of the database alone lets anyone"
	key := make([]byte, 32)
	tests := []struct {
		name        string
		hostLogger  bool
		opts        []Option
		want, never []string
	}{
		{name: "no logger: warnings reach slog.Default", opts: []Option{outsideTests()},
			want: []string{consoleWarning, keyWarning}},
		{name: "the host's logger gets them", hostLogger: true, opts: []Option{outsideTests()},
			want: []string{consoleWarning, keyWarning}},
		{name: "inside tests the console mailer is expected", opts: nil,
			want: []string{keyWarning}, never: []string{consoleWarning}},
		{name: "a real mailer and a key: nothing to warn about",
			opts: []Option{outsideTests(), WithMailer(notify.MailerFunc(func(context.Context, notify.Message) error { return nil })),
				WithEncryptionKey(key)},
			never: []string{consoleWarning, keyWarning}},
		{name: "an explicit console mailer warns too",
			opts:  []Option{outsideTests(), WithMailer(notify.NewConsoleMailer(nil)), WithEncryptionKey(key)},
			want:  []string{consoleWarning},
			never: []string{keyWarning}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := captureDefault(t)
			var host bytes.Buffer
			opts := append([]Option{WithHasher(auth.Bcrypt{Cost: 4})}, tc.opts...)
			if tc.hostLogger {
				opts = append(opts, WithLogger(slog.New(slog.NewJSONHandler(&host, nil))))
			}
			m, err := New(dbtest.SQLite(t), opts...)
			require.NoError(t, err)
			t.Cleanup(func() { _ = m.Close() })

			got, other := def, &host
			if tc.hostLogger {
				got, other = &host, def
			}
			for _, w := range tc.want {
				assert.Contains(t, got.String(), w)
				assert.NotContains(t, other.String(), w, "each warning once, on one logger")
			}
			for _, w := range tc.never {
				assert.NotContains(t, def.String()+host.String(), w)
			}
		})
	}
}

func TestConsoleMailGoesToTheLogs(t *testing.T) {
	t.Run("no logger: slog.Default, and the access log stays silent", func(t *testing.T) {
		def := captureDefault(t)
		m, err := New(dbtest.SQLite(t), WithHasher(auth.Bcrypt{Cost: 4}), WithEncryptionKey(make([]byte, 32)))
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		require.NoError(t, m.Migrate(context.Background()))

		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Empty(t, def.String(), "no access log by default")

		require.NoError(t, m.mail.Send(context.Background(), notify.Message{To: "a@example.com", Subject: "Hi", Text: "link"}))
		m.mail.Close()
		assert.Contains(t, def.String(), `"msg":"console mail"`)
		assert.Contains(t, def.String(), `"to":"a@example.com"`)
	})
	t.Run("the host's logger", func(t *testing.T) {
		def := captureDefault(t)
		var host bytes.Buffer
		m, err := New(dbtest.SQLite(t), WithHasher(auth.Bcrypt{Cost: 4}), WithEncryptionKey(make([]byte, 32)),
			WithLogger(slog.New(slog.NewJSONHandler(&host, nil))))
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		require.NoError(t, m.mail.Send(context.Background(), notify.Message{To: "a@example.com", Subject: "Hi", Text: "link"}))
		m.mail.Close()
		assert.Contains(t, host.String(), `"msg":"console mail"`)
		assert.Empty(t, def.String())
	})
}
