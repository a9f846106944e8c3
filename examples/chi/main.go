// Command chi mounts usermgmt under a go-chi/chi router, beside routes of
// the host's own that use the same access tokens.
//
//	go run ./examples/chi
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func main() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://usermgmt.db")
	if err != nil {
		log.Fatal(err)
	}
	m, err := usermgmt.New(st, usermgmt.WithBaseURL("http://localhost:8080"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if err := m.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	go func() { _ = m.Run(ctx) }()

	srv := &http.Server{Addr: ":8080", Handler: newRouter(m), ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newRouter mounts the API at /api/v1. The API's routes are relative, and
// r.Mount passes the full path on, so the prefix is stripped first.
func newRouter(m *usermgmt.Manager) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)

	r.Mount("/api/v1", http.StripPrefix("/api/v1", m.Handler()))

	// The host's own routes, behind the same tokens.
	r.With(m.RequireAuth).Get("/orders", func(w http.ResponseWriter, r *http.Request) {
		p, _ := usermgmt.UserFromContext(r.Context())
		fmt.Fprintf(w, "orders of %s\n", p.UserID)
	})
	r.With(m.RequirePermission(rbac.AuditRead)).Get("/reports", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "reports")
	})
	return r
}
