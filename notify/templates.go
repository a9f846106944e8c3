package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*
var defaultTemplateFiles embed.FS

// Template names the library renders. A host overriding templates provides
// any of NAME.subject.txt, NAME.txt and NAME.html for these names; what it
// leaves out keeps the default.
const (
	TemplateVerifyEmail     = "verify_email"
	TemplateResetPassword   = "reset_password"
	TemplatePasswordChanged = "password_changed"
	TemplateInvite          = "invite"
	TemplateConfirmEmail    = "confirm_email_change"
	TemplateCode            = "code"
	TemplateSecurityNotice  = "security_notice"
	// TemplateEmailChangeNotice tells the old address that a change of the
	// account's email to .NewEmail was asked for.
	TemplateEmailChangeNotice = "email_change_notice"
)

// Templates renders email messages. Subjects and plain-text bodies use
// text/template; HTML bodies use html/template, which escapes the data.
type Templates struct {
	subject map[string]*texttemplate.Template
	text    map[string]*texttemplate.Template
	html    map[string]*htmltemplate.Template
}

// DefaultTemplates returns the built-in English templates.
func DefaultTemplates() *Templates {
	t, err := ParseTemplates(nil)
	if err != nil {
		panic("notify: built-in templates: " + err.Error()) // caught by tests
	}
	return t
}

// ParseTemplates returns the built-in templates overridden by the files in
// fsys (which may be nil): NAME.subject.txt, NAME.txt and NAME.html at its
// root. Every template gets the data documented for its name, such as
// {{.Link}}, {{.Code}} and {{.Email}}.
func ParseTemplates(fsys fs.FS) (*Templates, error) {
	t := &Templates{
		subject: map[string]*texttemplate.Template{},
		text:    map[string]*texttemplate.Template{},
		html:    map[string]*htmltemplate.Template{},
	}
	base, err := fs.Sub(defaultTemplateFiles, "templates")
	if err != nil {
		return nil, err
	}
	if err := t.load(base); err != nil {
		return nil, fmt.Errorf("notify: default templates: %w", err)
	}
	if fsys != nil {
		if err := t.load(fsys); err != nil {
			return nil, fmt.Errorf("notify: templates: %w", err)
		}
	}
	return t, nil
}

func (t *Templates) load(fsys fs.FS) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return err
		}
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".subject.txt"):
			key := strings.TrimSuffix(name, ".subject.txt")
			tpl, err := texttemplate.New(name).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return err
			}
			t.subject[key] = tpl
		case strings.HasSuffix(name, ".txt"):
			key := strings.TrimSuffix(name, ".txt")
			tpl, err := texttemplate.New(name).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return err
			}
			t.text[key] = tpl
		case strings.HasSuffix(name, ".html"):
			key := strings.TrimSuffix(name, ".html")
			tpl, err := htmltemplate.New(name).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return err
			}
			t.html[key] = tpl
		}
	}
	return nil
}

// ErrNoTemplate is returned by Render for a name without a subject and a
// text body.
var ErrNoTemplate = errors.New("notify: no such template")

// Render fills the named template with data and returns the message to
// send to the address to.
func (t *Templates) Render(name, to string, data any) (Message, error) {
	subj, text := t.subject[name], t.text[name]
	if subj == nil || text == nil {
		return Message{}, fmt.Errorf("%w: %s", ErrNoTemplate, name)
	}
	var buf bytes.Buffer
	if err := subj.Execute(&buf, data); err != nil {
		return Message{}, fmt.Errorf("notify: render %s subject: %w", name, err)
	}
	msg := Message{To: to, Subject: strings.TrimSpace(buf.String())}
	buf.Reset()
	if err := text.Execute(&buf, data); err != nil {
		return Message{}, fmt.Errorf("notify: render %s text: %w", name, err)
	}
	msg.Text = buf.String()
	if h := t.html[name]; h != nil {
		buf.Reset()
		if err := h.Execute(&buf, data); err != nil {
			return Message{}, fmt.Errorf("notify: render %s html: %w", name, err)
		}
		msg.HTML = buf.String()
	}
	return msg, nil
}
