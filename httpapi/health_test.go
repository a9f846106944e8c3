package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func mount(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func getJSON(t *testing.T, client *http.Client, url string) (int, map[string]any) {
	t.Helper()
	res, err := client.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	var body map[string]any
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	return res.StatusCode, body
}

func TestHealthRoutes(t *testing.T) {
	srv := mount(t, httpapi.New(httpapi.Config{Store: dbtest.SQLite(t), Version: "1.2.3"}))
	tests := []struct {
		path   string
		status int
		key    string
		want   any
	}{
		{"/health", 200, "status", "healthy"},
		{"/live", 200, "status", "alive"},
		{"/ready", 200, "status", "ready"},
		{"/health/detailed", 200, "version", "1.2.3"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			status, body := getJSON(t, http.DefaultClient, srv.URL+"/api/v1"+tc.path)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.want, body[tc.key])
		})
	}
	t.Run("DetailedShape", func(t *testing.T) {
		_, body := getJSON(t, http.DefaultClient, srv.URL+"/api/v1/health/detailed")
		assert.Equal(t, "healthy", body["status"])
		assert.Equal(t, "up", body["store"].(map[string]any)["status"])
		assert.Contains(t, body["memory"], "goroutines")
		assert.Contains(t, body, "uptimeSeconds")
	})
}

// proxy is a TCP relay to the test PostgreSQL that the test can cut, to
// play a database that goes away and comes back.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	// blackhole accepts connections and never answers, like a hung server.
	blackhole bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			hole := p.blackhole
			p.mu.Unlock()
			if hole {
				continue
			}
			go p.relay(c)
		}
	}()
}

func (p *proxy) relay(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, up)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// stop closes the listener and cuts every connection: the database is gone.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// start listens again on the same address.
func (p *proxy) start(blackhole bool) {
	p.mu.Lock()
	p.blackhole = blackhole
	p.mu.Unlock()
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err)
	p.serve(ln)
}

func TestReadyWhenDatabaseGoesAway(t *testing.T) {
	// Migrate a schema directly, then reach the same schema through a
	// relay that the test cuts and restores.
	direct := dbtest.Postgres(t)
	var schema string
	require.NoError(t, direct.DB().QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&schema))
	u, err := url.Parse(dbtest.PostgresDSN(t))
	require.NoError(t, err)
	p := newProxy(t, u.Host)
	u.Host = p.addr
	st, err := bunstore.Open(context.Background(), dbtest.WithSearchPath(u.String(), schema))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	srv := mount(t, httpapi.New(httpapi.Config{Store: st}))
	// The bound the issue sets is one second; the handler's own budget is
	// 800 ms. The client gives up later than that only so that a slow CI
	// machine does not turn a correct answer into a flaky failure.
	client := &http.Client{Timeout: 3 * time.Second}
	ready := srv.URL + "/api/v1/ready"

	status, _ := getJSON(t, client, ready)
	require.Equal(t, 200, status)

	for _, mode := range []struct {
		name      string
		blackhole bool
	}{{"Refused", false}, {"Hung", true}} {
		t.Run(mode.name, func(t *testing.T) {
			p.stop()
			if mode.blackhole {
				p.start(true)
			}
			status, body := getJSON(t, client, ready)
			assert.Equal(t, 503, status)
			assert.Equal(t, "STORE_UNAVAILABLE", body["code"])
			status, body = getJSON(t, client, srv.URL+"/api/v1/health/detailed")
			assert.Equal(t, 503, status)
			assert.Equal(t, "down", body["store"].(map[string]any)["status"])
			status, _ = getJSON(t, client, srv.URL+"/api/v1/live")
			assert.Equal(t, 200, status, "the process stays up")

			p.stop()
			p.start(false)
			assert.Eventually(t, func() bool {
				status, _ := getJSON(t, client, ready)
				return status == 200
			}, 10*time.Second, 50*time.Millisecond, "recovers when the database is back")
		})
	}
}
