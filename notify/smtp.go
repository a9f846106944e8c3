package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultSMTPTimeout is the [SMTPConfig] Timeout used when it is zero.
const DefaultSMTPTimeout = 10 * time.Second

const (
	defaultSMTPPort  = 587 // submission with STARTTLS
	defaultSMTPSPort = 465 // submission with implicit TLS
)

const redacted = "REDACTED"

// SMTPConfig configures an [SMTPMailer]. Only Host and From are required.
//
// SMTPConfig redacts Password when printed with fmt or logged with log/slog,
// so a configuration may be logged whole. Keep it in exported fields or
// variables: fmt cannot call String on values inside unexported fields.
type SMTPConfig struct {
	Host string // server host name or IP address
	// Port defaults to 587, or to 465 when ImplicitTLS is set.
	Port     int
	Username string // AUTH PLAIN is used when Username is set
	Password string
	// From is the sender, "noreply@example.com" or
	// "Example <noreply@example.com>". Its address is used in MAIL FROM and
	// the whole value in the From header.
	From string
	// Timeout bounds one Send: dialling and the whole SMTP exchange. A
	// deadline on the context passed to Send, if sooner, wins. Default:
	// DefaultSMTPTimeout.
	Timeout time.Duration
	// TLSConfig is used for STARTTLS and implicit TLS; nil means the system
	// roots and ServerName set to Host. Tests set it to trust their own
	// certificate.
	TLSConfig *tls.Config
	// LocalName is the name sent with EHLO. Default: "localhost".
	LocalName string
	// RequireTLS makes Send fail with ErrInsecureConnection when the server
	// does not offer STARTTLS, instead of sending in clear.
	RequireTLS bool
	// ImplicitTLS connects with TLS from the first byte (SMTPS, usually port
	// 465) instead of upgrading with STARTTLS.
	ImplicitTLS bool
}

// ParseSMTPURL parses smtp://[user:pass@]host[:port] (STARTTLS when the
// server offers it, port 587 by default) or smtps://[user:pass@]host[:port]
// (implicit TLS, port 465 by default). User and password are
// percent-decoded. An optional ?from= parameter sets From (percent-encoded,
// such as from=App%20%3Cno-reply%40example.com%3E); without it the caller
// sets From before [NewSMTPMailer]. Errors never contain the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the input, password included.
		return SMTPConfig{}, errors.New("notify: parse SMTP URL: malformed URL")
	}
	var cfg SMTPConfig
	switch u.Scheme {
	case "smtp":
	case "smtps":
		cfg.ImplicitTLS = true
	case "":
		return SMTPConfig{}, errors.New("notify: parse SMTP URL: missing scheme smtp:// or smtps://")
	default:
		return SMTPConfig{}, fmt.Errorf("notify: parse SMTP URL: unsupported scheme %q, want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" {
		return SMTPConfig{}, errors.New("notify: parse SMTP URL: want smtp://host:port")
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return SMTPConfig{}, errors.New("notify: parse SMTP URL: path and fragment are not supported")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTPConfig{}, errors.New("notify: parse SMTP URL: malformed query")
	}
	for k := range q {
		if k != "from" {
			return SMTPConfig{}, fmt.Errorf("notify: parse SMTP URL: unknown parameter %q (only from is supported)", k)
		}
	}
	cfg.From = q.Get("from")
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return SMTPConfig{}, errors.New("notify: parse SMTP URL: missing host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("notify: parse SMTP URL: invalid port %q", p)
		}
		cfg.Port = n
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	return cfg, nil
}

// String returns the configuration as a URL with the password redacted.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.port()))}
	if c.ImplicitTLS {
		u.Scheme = "smtps"
	}
	switch {
	case c.Password != "":
		u.User = url.UserPassword(c.Username, redacted)
	case c.Username != "":
		u.User = url.User(c.Username)
	}
	return u.String()
}

// GoString is like String, so that %#v redacts the password too.
func (c SMTPConfig) GoString() string {
	return "notify.SMTPConfig(" + strconv.Quote(c.String()) + ")"
}

// LogValue implements slog.LogValuer, redacting the password.
func (c SMTPConfig) LogValue() slog.Value {
	pass := ""
	if c.Password != "" {
		pass = redacted
	}
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.port()),
		slog.String("username", c.Username),
		slog.String("password", pass),
		slog.String("from", c.From),
		slog.Duration("timeout", c.timeout()),
		slog.Bool("require_tls", c.RequireTLS),
		slog.Bool("implicit_tls", c.ImplicitTLS),
	)
}

func (c SMTPConfig) port() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.ImplicitTLS:
		return defaultSMTPSPort
	default:
		return defaultSMTPPort
	}
}

func (c SMTPConfig) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultSMTPTimeout
	}
	return c.Timeout
}

// SMTPMailer is a [Mailer] that submits each message to an SMTP server over
// a new connection. It upgrades with STARTTLS whenever the server offers it,
// authenticates with AUTH PLAIN when a username is configured, and refuses
// to send credentials in clear to a host that is not loopback. It is safe
// for concurrent use.
type SMTPMailer struct {
	cfg  SMTPConfig
	from *mail.Address
}

var _ Mailer = (*SMTPMailer)(nil)

// NewSMTPMailer checks cfg and returns a mailer using it. It does not
// connect: a server that is down shows up as an error from Send.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	switch {
	case cfg.Host == "" || strings.ContainsAny(cfg.Host, " \t\r\n/@"):
		return nil, errors.New("notify: SMTP config: invalid or missing Host")
	case cfg.Port < 0 || cfg.Port > 65535:
		return nil, fmt.Errorf("notify: SMTP config: invalid Port %d", cfg.Port)
	case cfg.Timeout < 0:
		return nil, errors.New("notify: SMTP config: negative Timeout")
	case cfg.Password != "" && cfg.Username == "":
		return nil, errors.New("notify: SMTP config: Password without Username")
	case strings.ContainsAny(cfg.Username+cfg.LocalName, "\r\n"):
		return nil, errors.New("notify: SMTP config: CR or LF in Username or LocalName")
	case cfg.From == "":
		return nil, errors.New("notify: SMTP config: From is required")
	}
	from, err := parseAddress("From", cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP config: %w", err)
	}
	if cfg.TLSConfig != nil {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	return &SMTPMailer{cfg: cfg, from: from}, nil
}

// String describes the mailer with the password redacted.
func (m *SMTPMailer) String() string { return "notify.SMTPMailer(" + m.cfg.String() + ")" }

// GoString is like String, so that %#v redacts the password too.
func (m *SMTPMailer) GoString() string { return m.String() }

// LogValue implements slog.LogValuer, redacting the password.
func (m *SMTPMailer) LogValue() slog.Value { return m.cfg.LogValue() }

// Send submits msg; see [Mailer] for the contract. The connection, the whole
// exchange and QUIT are bounded by the configured Timeout and by ctx.
func (m *SMTPMailer) Send(ctx context.Context, msg Message) error {
	to, err := parseAddress("To", msg.To)
	if err != nil {
		return err
	}
	data, err := buildMessage(m.from, to, msg, time.Now())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notify: send mail: %w", err)
	}

	// Timeout bounds the connection through its deadline; ctx, deadline
	// included, through AfterFunc below, so that an error caused by ctx
	// always wraps ctx.Err().
	deadline := time.Now().Add(m.cfg.timeout())
	dialCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.port()))
	conn, err := m.dial(dialCtx, addr)
	if err != nil {
		return m.fail(ctx, addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return m.fail(ctx, addr, err)
	}
	// Cancelling ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if err := m.exchange(conn, to.Address, data); err != nil {
		return m.fail(ctx, addr, err)
	}
	return nil
}

func (m *SMTPMailer) fail(ctx context.Context, addr string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("notify: send mail via %s: %w", addr, ctxErr)
	}
	return fmt.Errorf("notify: send mail via %s: %w", addr, err)
}

func (m *SMTPMailer) tlsConfig() *tls.Config {
	c := m.cfg.TLSConfig.Clone() // Clone of nil is nil
	if c == nil {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = m.cfg.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

func (m *SMTPMailer) dial(ctx context.Context, addr string) (net.Conn, error) {
	if m.cfg.ImplicitTLS {
		d := tls.Dialer{Config: m.tlsConfig()}
		return d.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// exchange runs one SMTP session on conn: EHLO, STARTTLS, AUTH, MAIL, RCPT,
// DATA, QUIT.
func (m *SMTPMailer) exchange(conn net.Conn, to string, data []byte) error {
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	localName := m.cfg.LocalName
	if localName == "" {
		localName = "localhost"
	}
	if err := c.Hello(localName); err != nil {
		return err
	}

	_, secure := c.TLSConnectionState()
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
			secure = true
		} else if m.cfg.RequireTLS {
			return fmt.Errorf("%w: server does not offer STARTTLS", ErrInsecureConnection)
		}
	}

	if m.cfg.Username != "" {
		if !secure && !isLoopback(m.cfg.Host) {
			return fmt.Errorf("%w: will not send credentials in clear to %s", ErrInsecureConnection, m.cfg.Host)
		}
		ok, mechs := c.Extension("AUTH")
		if !ok || !hasWord(mechs, "PLAIN") {
			return errors.New("server does not offer AUTH PLAIN")
		}
		if err := c.Auth(plainAuth{user: m.cfg.Username, pass: m.cfg.Password}); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}

	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	// The server has accepted the message; a failed QUIT must not make the
	// caller retry and send it twice.
	_ = c.Quit()
	return nil
}

// plainAuth is AUTH PLAIN (RFC 4616). Unlike smtp.PlainAuth it does no
// checks of its own: exchange decides when sending credentials is safe.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}
