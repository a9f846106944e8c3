package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/testkit"
)

// testBackend is the test SMTP server's account and, once startServer
// has run, the server itself. When user is set the server offers AUTH
// PLAIN and requires it before MAIL.
type testBackend struct {
	user, pass string
	srv        *testkit.SMTPServer
}

// messages returns what the server accepted so far.
func (b *testBackend) messages() []testkit.SMTPMessage { return b.srv.Messages() }

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
	be.srv = testkit.StartSMTP(t, testkit.SMTPOptions{
		User: be.user, Password: be.pass,
		StartTLS: opts.startTLS, ImplicitTLS: opts.implicitTLS, BindAll: opts.bindAll,
	})
	return be.srv.Port
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
