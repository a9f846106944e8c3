package usermgmt_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
)

// BenchmarkForgotPasswordTiming answers POST /auth/forgot-password
// through the whole handler on a real store, alternating an existing and
// an unknown address, with mail going to a real SMTP server as the
// background work of the existing one runs, and reports the median time
// of each: the two must not be told apart. Run with -benchtime=400x for
// 400 requests of each.
func BenchmarkForgotPasswordTiming(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(d, func(b *testing.B) {
			st := dbtest.Open(b, d)
			box := testkit.StartSMTP(b, testkit.SMTPOptions{})
			mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: box.Port,
				From: "no-reply@example.com", Timeout: 10 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithMailer(mailer),
				usermgmt.WithRateLimits(httpapi.Limits{}))
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = m.Outbox().Run(ctx) }()
			if _, err := m.Auth().Register(ctx, auth.Registration{Email: "known@example.com", Password: "violet harbour lantern"}); err != nil {
				b.Fatal(err)
			}
			h := http.StripPrefix("/api/v1", m.Handler())
			send := func(addr string) time.Duration {
				req := httptest.NewRequest("POST", "/api/v1/auth/forgot-password",
					strings.NewReader(fmt.Sprintf(`{"email":%q}`, addr)))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(w, req)
				el := time.Since(t0)
				if w.Code != http.StatusAccepted {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				return el
			}
			var known, unknown []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				known = append(known, send("known@example.com"))
				unknown = append(unknown, send(fmt.Sprintf("nobody-%d@example.com", i)))
			}
			b.StopTimer()
			b.ReportMetric(median(known), "existing-median-µs")
			b.ReportMetric(median(unknown), "unknown-median-µs")
			m.Close()
		})
	}
}

// median returns the median of ds in microseconds.
func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Microsecond)
}

// BenchmarkOutboxCost measures what writing the outbox adds to a login
// (POST /auth/login: the login_succeeded event) and to a profile update
// (PATCH /users/profile: the user_updated event), through the whole
// handler on PostgreSQL. Two Managers run side by side, one on a store
// that drops event writes, and the requests alternate between them so
// that the machine's drift hits both alike; it reports the median of each.
// "write" leaves the events in the outbox (the cost on the request path);
// "deliver" also runs the dispatcher, whose work after each commit then
// shares the two cores with the requests that follow.
func BenchmarkOutboxCost(b *testing.B) {
	for _, deliver := range []bool{false, true} {
		name := "write"
		if deliver {
			name = "deliver"
		}
		b.Run(name, func(b *testing.B) {
			with, without := newCostEnv(b, true, deliver), newCostEnv(b, false, deliver)
			var d [4][]time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k, env := range []*costEnv{with, without} {
					d[k] = append(d[k], env.login(b))
					d[2+k] = append(d[2+k], env.update(b, i))
				}
			}
			b.StopTimer()
			b.ReportMetric(median(d[0]), "login-outbox-µs")
			b.ReportMetric(median(d[1]), "login-none-µs")
			b.ReportMetric(median(d[2]), "update-outbox-µs")
			b.ReportMetric(median(d[3]), "update-none-µs")
		})
	}
}

// costEnv is a Manager on its own PostgreSQL schema with a signed-in user.
type costEnv struct {
	h     http.Handler
	token string
}

const costEmail, costPassword = "bench@example.com", "violet harbour lantern"

func newCostEnv(b *testing.B, outbox, deliver bool) *costEnv {
	var st store.Store = dbtest.Postgres(b)
	if !outbox {
		st = noOutbox{st}
	}
	quiet := notify.MailerFunc(func(context.Context, notify.Message) error { return nil })
	m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithMailer(quiet),
		usermgmt.WithRateLimits(httpapi.Limits{}))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if deliver {
			_ = m.Outbox().Run(ctx)
		}
	}()
	b.Cleanup(func() { cancel(); <-done; m.Close() })
	if _, err := m.Auth().Register(ctx, auth.Registration{Email: costEmail, Password: costPassword}); err != nil {
		b.Fatal(err)
	}
	res, err := m.Auth().Login(ctx, auth.Credentials{Identifier: costEmail, Password: costPassword})
	if err != nil {
		b.Fatal(err)
	}
	return &costEnv{h: http.StripPrefix("/api/v1", m.Handler()), token: res.Tokens.AccessToken}
}

func (c *costEnv) login(b *testing.B) time.Duration {
	return c.call(b, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"identifier":%q,"password":%q}`, costEmail, costPassword), "")
}

func (c *costEnv) update(b *testing.B, i int) time.Duration {
	return c.call(b, "PATCH", "/api/v1/users/profile", fmt.Sprintf(`{"bio":"bio %d"}`, i), c.token)
}

func (c *costEnv) call(b *testing.B, method, path, body, token string) time.Duration {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	t0 := time.Now()
	c.h.ServeHTTP(w, req)
	el := time.Since(t0)
	if w.Code != http.StatusOK {
		b.Fatalf("%s %s: status %d: %s", method, path, w.Code, w.Body)
	}
	return el
}

// noOutbox is a store whose event writes are dropped: the Manager on it
// does everything but write the outbox, the baseline of
// BenchmarkOutboxCost.
type noOutbox struct{ store.Store }

func (s noOutbox) Events() store.EventStore { return dropEvents{s.Store.Events()} }

func (s noOutbox) InTx(ctx context.Context, fn func(tx store.Repos) error) error {
	return s.Store.InTx(ctx, func(tx store.Repos) error { return fn(noOutboxRepos{tx}) })
}

type noOutboxRepos struct{ store.Repos }

func (r noOutboxRepos) Events() store.EventStore { return dropEvents{r.Repos.Events()} }

type dropEvents struct{ store.EventStore }

func (dropEvents) Append(context.Context, *store.Event) error { return nil }
