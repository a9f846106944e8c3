package testkit

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// SMTPMessage is one message an SMTPServer accepted, as it came over the
// wire.
type SMTPMessage struct {
	From     string
	To       []string
	Data     []byte // the DATA, dot-unstuffed, headers and body
	TLS      bool   // the session was encrypted when DATA arrived
	AuthUser string // the user that authenticated, if any
}

// SMTPOptions shapes an SMTPServer. The zero value is a plain server on
// 127.0.0.1 that takes mail from anyone.
type SMTPOptions struct {
	// User and Password, when User is set, make the server offer AUTH
	// PLAIN and require it before MAIL.
	User, Password string
	// StartTLS, when set, makes the server offer STARTTLS with this config.
	StartTLS *tls.Config
	// ImplicitTLS, when set, makes the server speak TLS from the first byte.
	ImplicitTLS *tls.Config
	// BindAll listens on all interfaces rather than loopback only.
	BindAll bool
}

// SMTPServer is a real go-smtp server on an ephemeral port that keeps
// every message it accepts. It is safe for concurrent use.
type SMTPServer struct {
	// Port is the TCP port the server listens on.
	Port int

	opts     SMTPOptions
	refusing atomic.Bool
	mu       sync.Mutex
	msgs     []SMTPMessage
}

// Refuse makes the server answer every MAIL with a temporary failure
// (451) while on is true, as a mail server that is down for maintenance
// does, and accept again once it is false.
func (s *SMTPServer) Refuse(on bool) { s.refusing.Store(on) }

// StartSMTP runs an SMTPServer until the test ends: its cleanup closes the
// server and waits for it to stop.
func StartSMTP(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	addr := "127.0.0.1:0"
	if opts.BindAll {
		addr = ":0"
	}
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	s := &SMTPServer{Port: l.Addr().(*net.TCPAddr).Port, opts: opts}
	if opts.ImplicitTLS != nil {
		l = tls.NewListener(l, opts.ImplicitTLS)
	}

	srv := gosmtp.NewServer(smtpBackend{s})
	srv.Domain = "localhost"
	srv.TLSConfig = opts.StartTLS
	srv.AllowInsecureAuth = true // the client, not the server, is under test
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = l.Close()
		<-done
	})
	return s
}

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.msgs...)
}

type smtpBackend struct{ s *SMTPServer }

func (b smtpBackend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &smtpSession{s: b.s, c: c}, nil
}

type smtpSession struct {
	s        *SMTPServer
	c        *gosmtp.Conn
	authUser string
	from     string
	to       []string
}

var _ gosmtp.AuthSession = (*smtpSession)(nil)

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.s.opts.User != "" && ss.authUser == "" {
		return gosmtp.ErrAuthRequired
	}
	if ss.s.refusing.Load() {
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 2}, Message: "try again later"}
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.c.TLSConnectionState()
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.msgs = append(ss.s.msgs, SMTPMessage{
		From: ss.from, To: append([]string(nil), ss.to...), Data: data, TLS: isTLS, AuthUser: ss.authUser,
	})
	return nil
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.s.opts.User || password != ss.s.opts.Password {
			return gosmtp.ErrAuthFailed
		}
		ss.authUser = username
		return nil
	}), nil
}
