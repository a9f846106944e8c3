package notify_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/notify"
)

func TestDefaultTemplatesRender(t *testing.T) {
	tpl := notify.DefaultTemplates()
	data := map[string]any{
		"Email": "ada@example.com", "Link": "https://app.example.com/x?token=abc&y=<b>",
		"ExpiresIn": "1 hour", "Code": "123456", "Time": "2030-01-02 03:04 UTC",
		"Title": "New sign-in", "Body": "Someone signed in.", "NewEmail": "new@example.com",
	}
	for _, name := range []string{
		notify.TemplateVerifyEmail, notify.TemplateResetPassword, notify.TemplateInvite,
		notify.TemplatePasswordChanged, notify.TemplateConfirmEmail, notify.TemplateCode,
		notify.TemplateSecurityNotice, notify.TemplateEmailChangeNotice,
	} {
		t.Run(name, func(t *testing.T) {
			msg, err := tpl.Render(name, "ada@example.com", data)
			require.NoError(t, err)
			assert.Equal(t, "ada@example.com", msg.To)
			assert.NotEmpty(t, msg.Subject)
			assert.NotContains(t, msg.Subject, "\n")
			assert.NotEmpty(t, msg.Text)
			if msg.HTML != "" {
				assert.NotContains(t, msg.HTML, "<b>", "HTML bodies escape their data")
			}
		})
	}
	t.Run("LinkInText", func(t *testing.T) {
		msg, err := tpl.Render(notify.TemplateResetPassword, "a@example.com", data)
		require.NoError(t, err)
		assert.Contains(t, msg.Text, "https://app.example.com/x?token=abc&y=<b>")
	})
	t.Run("MissingData", func(t *testing.T) {
		_, err := tpl.Render(notify.TemplateVerifyEmail, "a@example.com", map[string]any{})
		assert.Error(t, err)
	})
	t.Run("UnknownTemplate", func(t *testing.T) {
		_, err := tpl.Render("nope", "a@example.com", data)
		assert.ErrorIs(t, err, notify.ErrNoTemplate)
	})
}

func TestParseTemplatesOverrides(t *testing.T) {
	fsys := fstest.MapFS{
		"verify_email.subject.txt": {Data: []byte("Bitte bestätigen")},
		"verify_email.txt":         {Data: []byte("Link: {{.Link}}")},
	}
	tpl, err := notify.ParseTemplates(fsys)
	require.NoError(t, err)
	msg, err := tpl.Render(notify.TemplateVerifyEmail, "a@example.com", map[string]any{"Link": "L", "Email": "e", "ExpiresIn": "x"})
	require.NoError(t, err)
	assert.Equal(t, "Bitte bestätigen", msg.Subject)
	assert.Equal(t, "Link: L", msg.Text)
	assert.Contains(t, msg.HTML, "L", "the HTML body not overridden stays the default")

	_, err = notify.ParseTemplates(fstest.MapFS{"x.txt": {Data: []byte("{{")}})
	assert.Error(t, err)
}

func TestAsync(t *testing.T) {
	var sent atomic.Int32
	m := notify.MailerFunc(func(ctx context.Context, msg notify.Message) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		sent.Add(1)
		return nil
	})
	a := notify.NewAsync(m, nil, 2, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < 10; i++ {
		a.Send(ctx, notify.Message{To: "a@example.com", Subject: strings.Repeat("x", i)})
	}
	cancel() // the sends outlive the request
	a.Close()
	assert.Equal(t, int32(10), sent.Load())
}
