package notify

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// parseAddress parses one RFC 5322 address ("a@example.com" or
// "Name <a@example.com>"), refusing CR and LF first so the error is clear.
func parseAddress(field, value string) (*mail.Address, error) {
	if err := checkHeader(field, value); err != nil {
		return nil, err
	}
	if strings.TrimSpace(value) == "" {
		return nil, fmt.Errorf("%w: %s is empty", ErrInvalidMessage, field)
	}
	addr, err := mail.ParseAddress(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidMessage, field, err)
	}
	return addr, nil
}

// buildMessage renders msg as an RFC 5322 message with CRLF line endings.
// Bodies are quoted-printable so that the message is 7-bit clean whatever
// the text, and long lines are folded.
func buildMessage(from, to *mail.Address, msg Message, now time.Time) ([]byte, error) {
	if err := checkHeader("Subject", msg.Subject); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	header("Message-ID", messageID(from.Address))
	header("MIME-Version", "1.0")

	const (
		textType = "text/plain; charset=utf-8"
		htmlType = "text/html; charset=utf-8"
		qp       = "quoted-printable"
	)
	if msg.HTML == "" {
		header("Content-Type", textType)
		header("Content-Transfer-Encoding", qp)
		b.WriteString("\r\n")
		if err := writeQP(&b, msg.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}

	mw := multipart.NewWriter(&b)
	// Folded, as the boundary alone is 60 characters; it is hex, so it
	// needs no quoting.
	header("Content-Type", "multipart/alternative;\r\n boundary="+mw.Boundary())
	b.WriteString("\r\n")
	// Least preferred first (RFC 2046 section 5.1.4): clients show the last
	// part they understand.
	for _, part := range []struct{ ctype, body string }{
		{textType, msg.Text},
		{htmlType, msg.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {qp},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeQP(w io.Writer, s string) error {
	qw := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qw, s); err != nil {
		return err
	}
	if err := qw.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\r\n")
	return err
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(fromAddr string) string {
	domain := "localhost"
	if i := strings.LastIndexByte(fromAddr, '@'); i >= 0 && i+1 < len(fromAddr) {
		domain = fromAddr[i+1:]
	}
	return "<" + rand.Text() + "@" + domain + ">"
}
