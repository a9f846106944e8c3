package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// captured is one message a test SMTP server accepted.
type captured struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool   // the session was encrypted when DATA arrived
	AuthUser string // the user that authenticated, if any
}

// testBackend is a go-smtp backend that keeps every accepted message. When
// user is set it offers AUTH PLAIN and requires it before MAIL.
type testBackend struct {
	user, pass string

	mu   sync.Mutex
	msgs []captured
}

func (b *testBackend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &testSession{b: b, c: c}, nil
}

func (b *testBackend) messages() []captured {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]captured(nil), b.msgs...)
}

type testSession struct {
	b        *testBackend
	c        *gosmtp.Conn
	authUser string
	from     string
	to       []string
}

var _ gosmtp.AuthSession = (*testSession)(nil)

func (s *testSession) Reset()        { s.from, s.to = "", nil }
func (s *testSession) Logout() error { return nil }

func (s *testSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.b.user != "" && s.authUser == "" {
		return gosmtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.c.TLSConnectionState()
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.msgs = append(s.b.msgs, captured{From: s.from, To: s.to, Data: data, TLS: isTLS, AuthUser: s.authUser})
	return nil
}

func (s *testSession) AuthMechanisms() []string {
	if s.b.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return gosmtp.ErrAuthFailed
		}
		s.authUser = username
		return nil
	}), nil
}

// serverOptions shapes a test SMTP server.
type serverOptions struct {
	startTLS    *tls.Config // offer STARTTLS with this config
	implicitTLS *tls.Config // speak TLS from the first byte
	bindAll     bool        // listen on all interfaces, not only loopback
}

// startServer runs a real go-smtp server on an ephemeral port until the
// test ends and returns the port.
func startServer(t *testing.T, be *testBackend, opts serverOptions) int {
	t.Helper()
	addr := "127.0.0.1:0"
	if opts.bindAll {
		addr = ":0"
	}
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	if opts.implicitTLS != nil {
		l = tls.NewListener(l, opts.implicitTLS)
	}

	srv := gosmtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = opts.startTLS
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
	return port
}

// silentServer accepts TCP connections and never says a word. It returns
// the port and a channel that receives once per accepted connection.
func silentServer(t *testing.T) (int, <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	accepted := make(chan struct{}, 16)
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port, accepted
}

// testCerts returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and localhost, and a client config trusting it.
func testCerts(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "notify test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	client = &tls.Config{RootCAs: pool}
	return server, client
}
