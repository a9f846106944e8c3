package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/notify"
)

func TestConsoleMailer(t *testing.T) {
	tests := []struct {
		name string
		msg  notify.Message
		want string
	}{
		{
			name: "text",
			msg:  notify.Message{To: "alice@example.com", Subject: "Verify", Text: "Open https://example.com/v?t=abc", HTML: "<p>ignored</p>"},
			want: "--- email ---\nTo: alice@example.com\nSubject: Verify\n\nOpen https://example.com/v?t=abc\n--- end ---\n",
		},
		{
			name: "HTML only is printed rather than lost",
			msg:  notify.Message{To: "bob@example.com", Subject: "Reset", HTML: `<a href="https://example.com/r">reset</a>`},
			want: "--- email ---\nTo: bob@example.com\nSubject: Reset\n\n<a href=\"https://example.com/r\">reset</a>\n--- end ---\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, notify.NewConsoleMailer(&buf).Send(context.Background(), tc.msg))
			assert.Equal(t, tc.want, buf.String())
		})
	}
}

func TestConsoleSMSSender(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, notify.NewConsoleSMSSender(&buf).SendSMS(context.Background(), "+14155550123", "Your code is 123456"))
	assert.Equal(t, "--- sms ---\nTo: +14155550123\n\nYour code is 123456\n--- end ---\n", buf.String())
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
	// bytes.Buffer is not safe for concurrent use: the senders must
	// serialise their writes, and write each message whole.
	var mailBuf, smsBuf bytes.Buffer
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

	blocks := strings.SplitAfter(mailBuf.String(), "--- end ---\n")
	require.Len(t, blocks, n+1) // the last is empty
	for _, block := range blocks[:n] {
		assert.Regexp(t, `^--- email ---\nTo: user\d+@example\.com\nSubject: s\n\nline one\nline two\n--- end ---\n$`, block)
	}
	blocks = strings.SplitAfter(smsBuf.String(), "--- end ---\n")
	require.Len(t, blocks, n+1)
	for _, block := range blocks[:n] {
		assert.Regexp(t, `^--- sms ---\nTo: \+1415555\d{4}\n\ncode\n--- end ---\n$`, block)
	}
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
