package usermgmt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
)

// BenchmarkProfileRoute serves GET /users/profile through the whole
// handler (token, session check, rate limiter, middleware) and, beside it,
// a bare handler running the same single-row query, on PostgreSQL, without
// a network in between: the difference is the library's own cost per
// request. scripts/loadtest measures the same over loopback.
func BenchmarkProfileRoute(b *testing.B) {
	st := dbtest.Postgres(b)
	ctx := context.Background()
	quiet := notify.MailerFunc(func(context.Context, notify.Message) error { return nil })
	m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithMailer(quiet), usermgmt.WithRateLimit(1<<30))
	if err != nil {
		b.Fatal(err)
	}
	u, err := m.Auth().Register(ctx, auth.Registration{Email: "bench@example.com", Password: "violet harbour lantern"})
	if err != nil {
		b.Fatal(err)
	}
	res, err := m.Auth().Login(ctx, auth.Credentials{Identifier: "bench@example.com", Password: "violet harbour lantern"})
	if err != nil {
		b.Fatal(err)
	}
	full := http.StripPrefix("/api/v1", m.Handler())
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := st.Users().ByID(r.Context(), u.ID)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		u.PasswordHash = ""
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(u)
	})
	run := func(b *testing.B, h http.Handler, token string) {
		b.ReportAllocs()
		b.SetParallelism(16) // saturate the cores: ns/op is then the cost per request
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest("GET", "/api/v1/users/profile", nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	b.Run("Bare", func(b *testing.B) { run(b, bare, "") })
	b.Run("Usermgmt", func(b *testing.B) { run(b, full, res.Tokens.AccessToken) })
}
