package main

import (
	"embed"
	"net/http"
)

// pages holds the few pages the links in the example's emails lead to. A
// real host serves these from its own front end; the example ships them so
// that every link it mails works.
//
//go:embed pages
var pages embed.FS

// pageCSP allows only this origin's script, style and API calls: no inline
// script, no framing, no form posts elsewhere.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// servePages adds the reset-password page (which also takes invitation
// links, a reset link that lives longer) at resetPath and its assets under
// /assets/. The verification link needs no page: it opens the API's
// GET /auth/verify-email.
func servePages(mux *http.ServeMux, resetPath string) {
	mux.Handle("GET "+resetPath, page("pages/reset-password.html", "text/html; charset=utf-8"))
	mux.Handle("GET /assets/reset-password.js", page("pages/reset-password.js", "text/javascript; charset=utf-8"))
	mux.Handle("GET /assets/style.css", page("pages/style.css", "text/css; charset=utf-8"))
}

func page(name, contentType string) http.Handler {
	body, err := pages.ReadFile(name)
	if err != nil {
		panic("examples/server: missing embedded " + name) // a build mistake, caught at start
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Security-Policy", pageCSP)
		// The reset token is in the page's URL: never send it on as a
		// Referer, never keep the page in a cache.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		_, _ = w.Write(body)
	})
}
