package notify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/notify"
)

const testFrom = "Example App <noreply@example.com>"

// newMailer returns an SMTPMailer for the test server on port; edit may
// change the configuration first.
func newMailer(t *testing.T, port int, edit func(*notify.SMTPConfig)) *notify.SMTPMailer {
	t.Helper()
	cfg := notify.SMTPConfig{
		Host:    "127.0.0.1",
		Port:    port,
		From:    testFrom,
		Timeout: 5 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := notify.NewSMTPMailer(cfg)
	require.NoError(t, err)
	return m
}

// decodeQP decodes a quoted-printable body and turns CRLF into LF.
func decodeQP(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	require.NoError(t, err)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestSMTPMailerSend(t *testing.T) {
	longLine := strings.Repeat("Grüße aus Köln, ", 20)
	tests := []struct {
		name     string
		msg      notify.Message
		wantRcpt string
		wantTo   mail.Address
	}{
		{
			name: "plain text",
			msg: notify.Message{
				To:      "alice@example.com",
				Subject: "Verify your email",
				Text:    "Open https://example.com/verify?token=abc=123 to verify.\nThanks.",
			},
			wantRcpt: "alice@example.com",
			wantTo:   mail.Address{Address: "alice@example.com"},
		},
		{
			name: "non-ASCII subject and long lines",
			msg: notify.Message{
				To:      "Zoë Example <zoe@example.com>",
				Subject: "Bienvenue, Zoë ✓",
				Text:    longLine + "\n.\n..leading dots survive\n",
			},
			wantRcpt: "zoe@example.com",
			wantTo:   mail.Address{Name: "Zoë Example", Address: "zoe@example.com"},
		},
		{
			name: "multipart HTML",
			msg: notify.Message{
				To:      "bob@example.com",
				Subject: "Reset your password",
				Text:    "Reset: https://example.com/reset?t=1&u=2",
				HTML:    `<p>Reset: <a href="https://example.com/reset?t=1&amp;u=2">link</a></p>`,
			},
			wantRcpt: "bob@example.com",
			wantTo:   mail.Address{Address: "bob@example.com"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := &testBackend{}
			m := newMailer(t, startServer(t, be, serverOptions{}), nil)

			require.NoError(t, m.Send(context.Background(), tc.msg))

			msgs := be.messages()
			require.Len(t, msgs, 1)
			got := msgs[0]
			assert.Equal(t, "noreply@example.com", got.From)
			assert.Equal(t, []string{tc.wantRcpt}, got.To)
			assert.False(t, got.TLS)
			for i, line := range bytes.Split(got.Data, []byte("\r\n")) {
				assert.LessOrEqual(t, len(line), 78, "line %d too long", i)
				for _, c := range line {
					require.Less(t, c, byte(0x80), "line %d is not 7-bit: %q", i, line)
				}
			}

			parsed, err := mail.ReadMessage(bytes.NewReader(got.Data))
			require.NoError(t, err)
			h := parsed.Header
			date, err := h.Date()
			require.NoError(t, err)
			assert.WithinDuration(t, time.Now(), date, time.Minute)
			from, err := h.AddressList("From")
			require.NoError(t, err)
			assert.Equal(t, []*mail.Address{{Name: "Example App", Address: "noreply@example.com"}}, from)
			to, err := h.AddressList("To")
			require.NoError(t, err)
			assert.Equal(t, []*mail.Address{&tc.wantTo}, to)
			subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			require.NoError(t, err)
			assert.Equal(t, tc.msg.Subject, subject)
			assert.Regexp(t, `^<[A-Z2-7]+@example\.com>$`, h.Get("Message-ID"))
			assert.Equal(t, "1.0", h.Get("MIME-Version"))

			mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
			require.NoError(t, err)
			if tc.msg.HTML == "" {
				assert.Equal(t, "text/plain", mediaType)
				assert.Equal(t, "utf-8", params["charset"])
				assert.Equal(t, "quoted-printable", h.Get("Content-Transfer-Encoding"))
				assert.Equal(t, tc.msg.Text+"\n", decodeQP(t, parsed.Body))
				return
			}
			assert.Equal(t, "multipart/alternative", mediaType)
			mr := multipart.NewReader(parsed.Body, params["boundary"])
			for _, want := range []struct{ ctype, body string }{
				{"text/plain; charset=utf-8", tc.msg.Text},
				{"text/html; charset=utf-8", tc.msg.HTML},
			} {
				p, err := mr.NextRawPart()
				require.NoError(t, err)
				assert.Equal(t, want.ctype, p.Header.Get("Content-Type"))
				assert.Equal(t, "quoted-printable", p.Header.Get("Content-Transfer-Encoding"))
				assert.Equal(t, want.body+"\n", decodeQP(t, p))
			}
			_, err = mr.NextRawPart()
			assert.ErrorIs(t, err, io.EOF)
		})
	}
}

func TestSMTPMailerTwoMessagesHaveDistinctIDs(t *testing.T) {
	be := &testBackend{}
	m := newMailer(t, startServer(t, be, serverOptions{}), nil)
	msg := notify.Message{To: "alice@example.com", Subject: "Hi", Text: "Hello"}

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.Send(context.Background(), msg)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	ids := map[string]bool{}
	for _, c := range be.messages() {
		parsed, err := mail.ReadMessage(bytes.NewReader(c.Data))
		require.NoError(t, err)
		ids[parsed.Header.Get("Message-ID")] = true
	}
	assert.Len(t, ids, len(errs))
}

func TestSMTPMailerTLS(t *testing.T) {
	serverTLS, clientTLS := testCerts(t)
	msg := notify.Message{To: "alice@example.com", Subject: "Code", Text: "Your code is 123456"}

	t.Run("STARTTLS used when offered", func(t *testing.T) {
		be := &testBackend{}
		port := startServer(t, be, serverOptions{startTLS: serverTLS})
		m := newMailer(t, port, func(c *notify.SMTPConfig) { c.TLSConfig = clientTLS })

		require.NoError(t, m.Send(context.Background(), msg))
		msgs := be.messages()
		require.Len(t, msgs, 1)
		assert.True(t, msgs[0].TLS)
	})
	t.Run("RequireTLS satisfied by STARTTLS", func(t *testing.T) {
		be := &testBackend{}
		port := startServer(t, be, serverOptions{startTLS: serverTLS})
		m := newMailer(t, port, func(c *notify.SMTPConfig) { c.TLSConfig = clientTLS; c.RequireTLS = true })

		require.NoError(t, m.Send(context.Background(), msg))
		assert.Len(t, be.messages(), 1)
	})
	t.Run("untrusted certificate fails", func(t *testing.T) {
		be := &testBackend{}
		port := startServer(t, be, serverOptions{startTLS: serverTLS})
		m := newMailer(t, port, nil) // system roots do not know the test CA

		err := m.Send(context.Background(), msg)
		var unknown x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &unknown)
		assert.Empty(t, be.messages())
	})
	t.Run("RequireTLS without STARTTLS offered fails", func(t *testing.T) {
		be := &testBackend{}
		port := startServer(t, be, serverOptions{})
		m := newMailer(t, port, func(c *notify.SMTPConfig) { c.TLSConfig = clientTLS; c.RequireTLS = true })

		err := m.Send(context.Background(), msg)
		assert.ErrorIs(t, err, notify.ErrInsecureConnection)
		assert.Empty(t, be.messages())
	})
	t.Run("implicit TLS", func(t *testing.T) {
		be := &testBackend{}
		port := startServer(t, be, serverOptions{implicitTLS: serverTLS})
		m := newMailer(t, port, func(c *notify.SMTPConfig) {
			c.TLSConfig = clientTLS
			c.ImplicitTLS = true
			c.RequireTLS = true
		})

		require.NoError(t, m.Send(context.Background(), msg))
		msgs := be.messages()
		require.Len(t, msgs, 1)
		assert.True(t, msgs[0].TLS)
	})
}

func TestSMTPMailerAuth(t *testing.T) {
	const user, pass = "mailer@example.com", "correct-horse-battery"
	serverTLS, clientTLS := testCerts(t)
	tests := []struct {
		name     string
		startTLS bool
		password string
		wantErr  bool
	}{
		{name: "PLAIN over STARTTLS", startTLS: true, password: pass},
		{name: "PLAIN in clear to loopback", password: pass},
		{name: "wrong password", startTLS: true, password: "wrong-password-xyz", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := &testBackend{user: user, pass: pass}
			opts := serverOptions{}
			if tc.startTLS {
				opts.startTLS = serverTLS
			}
			m := newMailer(t, startServer(t, be, opts), func(c *notify.SMTPConfig) {
				c.Username, c.Password, c.TLSConfig = user, tc.password, clientTLS
			})

			err := m.Send(context.Background(), notify.Message{To: "alice@example.com", Subject: "Hi", Text: "Hello"})
			if tc.wantErr {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), tc.password)
				assert.Empty(t, be.messages())
				return
			}
			require.NoError(t, err)
			msgs := be.messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, user, msgs[0].AuthUser)
			assert.Equal(t, tc.startTLS, msgs[0].TLS)
		})
	}

	t.Run("server without AUTH", func(t *testing.T) {
		be := &testBackend{}
		m := newMailer(t, startServer(t, be, serverOptions{}), func(c *notify.SMTPConfig) {
			c.Username, c.Password = user, pass
		})
		err := m.Send(context.Background(), notify.Message{To: "alice@example.com", Text: "Hello"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "AUTH PLAIN")
		assert.Empty(t, be.messages())
	})
}

// nonLoopbackIP returns an address of this machine that is not loopback.
func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if ipnet, ok := a.(*net.IPNet); ok && !ipnet.IP.IsLoopback() && ipnet.IP.To4() != nil {
			return ipnet.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address on this machine")
	return ""
}

func TestSMTPMailerRefusesCredentialsInClear(t *testing.T) {
	ip := nonLoopbackIP(t)
	be := &testBackend{user: "u", pass: "p"}
	port := startServer(t, be, serverOptions{bindAll: true})
	m := newMailer(t, port, func(c *notify.SMTPConfig) { c.Host, c.Username, c.Password = ip, "u", "p" })

	err := m.Send(context.Background(), notify.Message{To: "alice@example.com", Text: "Hello"})
	assert.ErrorIs(t, err, notify.ErrInsecureConnection)
	assert.Empty(t, be.messages())
}

func TestSMTPMailerInvalidMessage(t *testing.T) {
	tests := []struct {
		name string
		msg  notify.Message
	}{
		{"CRLF in To", notify.Message{To: "alice@example.com\r\nBcc: eve@example.com", Subject: "Hi"}},
		{"LF in To", notify.Message{To: "alice@example.com\nBcc: eve@example.com", Subject: "Hi"}},
		{"CRLF in Subject", notify.Message{To: "alice@example.com", Subject: "Hi\r\nBcc: eve@example.com"}},
		{"CR in Subject", notify.Message{To: "alice@example.com", Subject: "Hi\rX"}},
		{"empty To", notify.Message{Subject: "Hi"}},
		{"malformed To", notify.Message{To: "not an address", Subject: "Hi"}},
	}
	be := &testBackend{}
	m := newMailer(t, startServer(t, be, serverOptions{}), nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Send(context.Background(), tc.msg)
			assert.ErrorIs(t, err, notify.ErrInvalidMessage)
		})
	}
	assert.Empty(t, be.messages())
}

func TestNewSMTPMailer(t *testing.T) {
	valid := notify.SMTPConfig{Host: "mail.example.com", From: "noreply@example.com"}
	tests := []struct {
		name    string
		edit    func(*notify.SMTPConfig)
		wantErr bool
	}{
		{name: "minimal", edit: func(*notify.SMTPConfig) {}},
		{name: "display name in From", edit: func(c *notify.SMTPConfig) { c.From = testFrom }},
		{name: "missing Host", edit: func(c *notify.SMTPConfig) { c.Host = "" }, wantErr: true},
		{name: "missing From", edit: func(c *notify.SMTPConfig) { c.From = "" }, wantErr: true},
		{name: "malformed From", edit: func(c *notify.SMTPConfig) { c.From = "noreply" }, wantErr: true},
		{name: "CRLF in From", edit: func(c *notify.SMTPConfig) { c.From = "a@example.com\r\nBcc: eve@example.com" }, wantErr: true},
		{name: "CRLF in LocalName", edit: func(c *notify.SMTPConfig) { c.LocalName = "x\r\nRSET" }, wantErr: true},
		{name: "bad Port", edit: func(c *notify.SMTPConfig) { c.Port = 70000 }, wantErr: true},
		{name: "negative Timeout", edit: func(c *notify.SMTPConfig) { c.Timeout = -time.Second }, wantErr: true},
		{name: "Password without Username", edit: func(c *notify.SMTPConfig) { c.Password = "hunter2" }, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.edit(&cfg)
			m, err := notify.NewSMTPMailer(cfg)
			if tc.wantErr {
				require.Error(t, err)
				assert.Nil(t, m)
				assert.NotContains(t, err.Error(), "hunter2")
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, m)
		})
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw        string
		want       notify.SMTPConfig
		wantString string
		wantErr    bool
	}{
		{
			raw:        "smtp://mail.example.com:587",
			want:       notify.SMTPConfig{Host: "mail.example.com", Port: 587},
			wantString: "smtp://mail.example.com:587",
		},
		{
			raw:        "smtp://user:secret@mail.example.com:2525",
			want:       notify.SMTPConfig{Host: "mail.example.com", Port: 2525, Username: "user", Password: "secret"},
			wantString: "smtp://user:REDACTED@mail.example.com:2525",
		},
		{
			raw:        "smtp://me%40example.com:s%40cret%3Aword@mail.example.com:25",
			want:       notify.SMTPConfig{Host: "mail.example.com", Port: 25, Username: "me@example.com", Password: "s@cret:word"},
			wantString: "smtp://me%40example.com:REDACTED@mail.example.com:25",
		},
		{
			raw:        "smtp://apikey@mail.example.com:25/",
			want:       notify.SMTPConfig{Host: "mail.example.com", Port: 25, Username: "apikey"},
			wantString: "smtp://apikey@mail.example.com:25",
		},
		{
			raw:        "smtps://user:secret@mail.example.com",
			want:       notify.SMTPConfig{Host: "mail.example.com", Username: "user", Password: "secret", ImplicitTLS: true},
			wantString: "smtps://user:REDACTED@mail.example.com:465",
		},
		{
			raw:        "SMTP://localhost",
			want:       notify.SMTPConfig{Host: "localhost"},
			wantString: "smtp://localhost:587",
		},
		{
			raw:        "smtp://[::1]:25",
			want:       notify.SMTPConfig{Host: "::1", Port: 25},
			wantString: "smtp://[::1]:25",
		},
		{
			raw:        "smtp://mail.example.com:25?from=App%20%3Cno-reply%40example.com%3E",
			want:       notify.SMTPConfig{Host: "mail.example.com", Port: 25, From: "App <no-reply@example.com>"},
			wantString: "smtp://mail.example.com:25",
		},
		{raw: "", wantErr: true},
		{raw: "mail.example.com:25", wantErr: true},
		{raw: "http://user:secret@mail.example.com", wantErr: true},
		{raw: "smtp:mail.example.com", wantErr: true},
		{raw: "smtp://user:secret@:25", wantErr: true},
		{raw: "smtp://user:secret@mail.example.com:0", wantErr: true},
		{raw: "smtp://user:secret@mail.example.com:70000", wantErr: true},
		{raw: "smtp://user:secret@mail.example.com:smtp", wantErr: true},
		{raw: "smtp://user:secret@mail.example.com:25/path", wantErr: true},
		{raw: "smtp://user:secret@mail.example.com:25?to=a@example.com", wantErr: true},
		{raw: "smtp://user:secret@mail.example.com:25?from=a@example.com&from=b@example.com&x=1", wantErr: true},
		{raw: "smtp://user:sec%zzret@mail.example.com:25", wantErr: true},
		{raw: "smtp://user:sec ret@mail.example.com:25", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := notify.ParseSMTPURL(tc.raw)
			if tc.wantErr {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "secret")
				assert.NotContains(t, err.Error(), "sec%zzret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantString, got.String())
		})
	}
}

func TestSMTPConfigRedactsPassword(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	cfg := notify.SMTPConfig{
		Host:     "mail.example.com",
		Port:     587,
		Username: "mailer",
		Password: secret,
		From:     "noreply@example.com",
	}
	m, err := notify.NewSMTPMailer(cfg)
	require.NoError(t, err)

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("smtp config", "smtp", cfg, "smtp_ptr", &cfg, "mailer", m)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("smtp config", "smtp", cfg, "mailer", m)

	outputs := map[string]string{
		"String":   cfg.String(),
		"%v":       fmt.Sprintf("%v", cfg),
		"%+v":      fmt.Sprintf("%+v", cfg),
		"%#v":      fmt.Sprintf("%#v", cfg),
		"%s ptr":   fmt.Sprintf("%s", &cfg),
		"%v in":    fmt.Sprintf("%v", struct{ SMTP notify.SMTPConfig }{cfg}),
		"mailer":   fmt.Sprintf("%v %+v %s", m, m, m),
		"mailer #": fmt.Sprintf("%#v", m),
		"slog":     logs.String(),
	}
	for name, out := range outputs {
		assert.NotContains(t, out, secret, name)
		assert.Contains(t, out, "REDACTED", name)
	}
	assert.Contains(t, logs.String(), `"host":"mail.example.com"`)
}

func TestSMTPMailerTimeout(t *testing.T) {
	port, _ := silentServer(t)
	m := newMailer(t, port, func(c *notify.SMTPConfig) { c.Timeout = 200 * time.Millisecond })

	err := m.Send(context.Background(), notify.Message{To: "alice@example.com", Text: "Hello"})
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

func TestSMTPMailerContext(t *testing.T) {
	msg := notify.Message{To: "alice@example.com", Text: "Hello"}

	t.Run("canceled while waiting for the server", func(t *testing.T) {
		port, accepted := silentServer(t)
		m := newMailer(t, port, func(c *notify.SMTPConfig) { c.Timeout = time.Minute })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-accepted
			cancel()
		}()

		err := m.Send(ctx, msg)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("deadline shorter than Timeout", func(t *testing.T) {
		port, _ := silentServer(t)
		m := newMailer(t, port, func(c *notify.SMTPConfig) { c.Timeout = time.Minute })
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()

		err := m.Send(ctx, msg)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("already canceled", func(t *testing.T) {
		be := &testBackend{}
		m := newMailer(t, startServer(t, be, serverOptions{}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		err := m.Send(ctx, msg)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, be.messages())
	})
}

func TestSMTPMailerConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	m := newMailer(t, port, nil)

	err = m.Send(context.Background(), notify.Message{To: "alice@example.com", Text: "Hello"})
	require.Error(t, err)
	assert.False(t, errors.Is(err, notify.ErrInvalidMessage))
}
