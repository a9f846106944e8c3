package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/notify"
)

// records decodes the JSON log records in buf, one a line.
func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(buf)
	for dec.More() {
		var rec map[string]any
		require.NoError(t, dec.Decode(&rec))
		delete(rec, "time")
		out = append(out, rec)
	}
	return out
}

func TestConsoleMailer(t *testing.T) {
	tests := []struct {
		name string
		msg  notify.Message
		want map[string]any
	}{
		{
			name: "text",
			msg:  notify.Message{To: "alice@example.com", Subject: "Verify", Text: "Open https://example.com/v?t=abc", HTML: "<p>ignored</p>"},
			want: map[string]any{"level": "INFO", "msg": "console mail", "to": "alice@example.com", "subject": "Verify", "text": "Open https://example.com/v?t=abc"},
		},
		{
			name: "HTML only gives its links, not its markup",
			msg:  notify.Message{To: "bob@example.com", Subject: "Reset", HTML: `<p>Hi</p><a href="https://example.com/r?token=x">reset</a> <A HREF='https://example.com/help'>help</A>`},
			want: map[string]any{"level": "INFO", "msg": "console mail", "to": "bob@example.com", "subject": "Reset",
				"links": []any{"https://example.com/r?token=x", "https://example.com/help"}},
		},
		{
			name: "HTML without links",
			msg:  notify.Message{To: "bob@example.com", Subject: "Hello", HTML: `<p>Hi</p>`},
			want: map[string]any{"level": "INFO", "msg": "console mail", "to": "bob@example.com", "subject": "Hello", "links": []any{}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, notify.NewConsoleMailer(&buf).Send(context.Background(), tc.msg))
			assert.Equal(t, []map[string]any{tc.want}, records(t, &buf))
		})
	}
}

func TestConsoleMailerLogsToItsLogger(t *testing.T) {
	var buf bytes.Buffer
	m := &notify.ConsoleMailer{Logger: slog.New(slog.NewJSONHandler(&buf, nil)).With("service", "shop")}
	require.NoError(t, m.Send(context.Background(), notify.Message{To: "alice@example.com", Subject: "Hi", Text: "hello"}))
	recs := records(t, &buf)
	require.Len(t, recs, 1)
	assert.Equal(t, "shop", recs[0]["service"], "the record goes through the host's logger")
	assert.Equal(t, "hello", recs[0]["text"])
}

func TestConsoleMailerZeroValueUsesDefaultLogger(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	var m notify.ConsoleMailer
	require.NoError(t, m.Send(context.Background(), notify.Message{To: "alice@example.com", Subject: "Hi", Text: "hello"}))
	var s notify.ConsoleSMSSender
	require.NoError(t, s.SendSMS(context.Background(), "+14155550123", "code 1"))
	recs := records(t, &buf)
	require.Len(t, recs, 2)
	assert.Equal(t, "console mail", recs[0]["msg"])
	assert.Equal(t, "console sms", recs[1]["msg"])
}

func TestConsoleSMSSender(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, notify.NewConsoleSMSSender(&buf).SendSMS(context.Background(), "+14155550123", "Your code is 123456"))
	assert.Equal(t, []map[string]any{{"level": "INFO", "msg": "console sms", "to": "+14155550123", "text": "Your code is 123456"}}, records(t, &buf))
}

func TestConsoleSendersCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer

	err := notify.NewConsoleMailer(&buf).Send(ctx, notify.Message{To: "alice@example.com"})
	assert.ErrorIs(t, err, context.Canceled)
	err = notify.NewConsoleSMSSender(&buf).SendSMS(ctx, "+14155550123", "code")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, buf.String())
}

func TestConsoleSendersConcurrent(t *testing.T) {
	const n = 50
	// Each message is one whole record, never interleaved with another.
	var mailBuf, smsBuf lockedBuffer
	mailer := notify.NewConsoleMailer(&mailBuf)
	sms := notify.NewConsoleSMSSender(&smsBuf)

	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			assert.NoError(t, mailer.Send(context.Background(), notify.Message{
				To: fmt.Sprintf("user%d@example.com", i), Subject: "s", Text: "line one\nline two",
			}))
		}()
		go func() {
			defer wg.Done()
			assert.NoError(t, sms.SendSMS(context.Background(), fmt.Sprintf("+1415555%04d", i), "code"))
		}()
	}
	wg.Wait()

	mails := records(t, &mailBuf.b)
	require.Len(t, mails, n)
	for _, rec := range mails {
		assert.Regexp(t, `^user\d+@example\.com$`, rec["to"])
		assert.Equal(t, "line one\nline two", rec["text"])
	}
	texts := records(t, &smsBuf.b)
	require.Len(t, texts, n)
	for _, rec := range texts {
		assert.Regexp(t, `^\+1415555\d{4}$`, rec["to"])
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes, as an
// *os.File is.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestFuncAdapters(t *testing.T) {
	errBoom := errors.New("boom")
	var gotMsg notify.Message
	var mailer notify.Mailer = notify.MailerFunc(func(_ context.Context, msg notify.Message) error {
		gotMsg = msg
		return errBoom
	})
	var gotTo, gotBody string
	var sms notify.SMSSender = notify.SMSSenderFunc(func(_ context.Context, to, body string) error {
		gotTo, gotBody = to, body
		return nil
	})

	msg := notify.Message{To: "alice@example.com", Subject: "Hi"}
	assert.ErrorIs(t, mailer.Send(context.Background(), msg), errBoom)
	assert.Equal(t, msg, gotMsg)
	require.NoError(t, sms.SendSMS(context.Background(), "+14155550123", "code 1"))
	assert.Equal(t, "+14155550123", gotTo)
	assert.Equal(t, "code 1", gotBody)
}
