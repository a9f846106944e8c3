// Command server is the runnable usermgmt service: the whole API under
// /api/v1 on SQLite by default, configured by environment variables.
//
//	go run ./examples/server
//
// Variables (all optional):
//
//	USERMGMT_ADDR              listen address (":8080")
//	DATABASE_URL               sqlite://PATH, sqlite://:memory: or postgres://... ("sqlite://usermgmt.db")
//	USERMGMT_SMTP_URL          smtp://[user:pass@]host:port[?from=...]; unset prints mail to stdout
//	USERMGMT_BASE_URL          public URL for links in emails ("http://localhost:8080")
//	USERMGMT_ADMIN_EMAIL       with USERMGMT_ADMIN_PASSWORD: create or update this admin at start
//	USERMGMT_ADMIN_PASSWORD
//	USERMGMT_RATE_LIMIT        requests per minute per client on the API ("100"; "0" turns it off)
//	USERMGMT_SIGNING_KEY_FILE  PEM private key (Ed25519 or P-256) that signs access tokens;
//	                           unset: a key is generated once and kept in the store
package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func main() {
	log := newLogger()
	if err := run(log); err != nil {
		log.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

func newLogger() *slog.Logger {
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	addr := env("USERMGMT_ADDR", ":8080")
	baseURL := env("USERMGMT_BASE_URL", "http://localhost:8080")

	st, err := bunstore.Open(ctx, env("DATABASE_URL", "sqlite://usermgmt.db"))
	if err != nil {
		return err
	}
	opts := []usermgmt.Option{usermgmt.WithLogger(log), usermgmt.WithBaseURL(baseURL)}
	if raw := os.Getenv("USERMGMT_RATE_LIMIT"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return fmt.Errorf("USERMGMT_RATE_LIMIT: want a number of requests per minute, 0 for none")
		}
		opts = append(opts, usermgmt.WithRateLimit(n))
	}
	if path := os.Getenv("USERMGMT_SIGNING_KEY_FILE"); path != "" {
		key, err := readSigningKey(path)
		if err != nil {
			return err
		}
		opts = append(opts, usermgmt.WithSigningKeys(key))
	}
	if raw := os.Getenv("USERMGMT_SMTP_URL"); raw != "" {
		mailer, err := smtpMailer(raw, baseURL)
		if err != nil {
			return err
		}
		opts = append(opts, usermgmt.WithMailer(mailer))
	}
	m, err := usermgmt.New(st, opts...)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Migrate(ctx); err != nil {
		return err
	}
	if err := bootstrapAdmin(ctx, m, log); err != nil {
		return err
	}
	go func() { _ = m.Run(ctx) }()

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", m.Handler()))
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // exports stream for a while
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", addr, "api", "/api/v1")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// smtpMailer builds the SMTP mailer; without ?from= in the URL, mail comes
// from no-reply at the base URL's host.
func smtpMailer(raw, baseURL string) (notify.Mailer, error) {
	cfg, err := notify.ParseSMTPURL(raw)
	if err != nil {
		return nil, err
	}
	if cfg.From == "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Hostname() == "" {
			return nil, fmt.Errorf("USERMGMT_BASE_URL: want an absolute URL")
		}
		cfg.From = "no-reply@" + u.Hostname()
	}
	return notify.NewSMTPMailer(cfg)
}

// readSigningKey reads a PKCS#8 (or SEC 1 EC) PEM private key.
func readSigningKey(path string) (crypto.Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("USERMGMT_SIGNING_KEY_FILE: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("USERMGMT_SIGNING_KEY_FILE: no PEM block in %s", path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("USERMGMT_SIGNING_KEY_FILE: unsupported PEM block %q (want PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("USERMGMT_SIGNING_KEY_FILE: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("USERMGMT_SIGNING_KEY_FILE: not a signing key")
	}
	return signer, nil
}

func bootstrapAdmin(ctx context.Context, m *usermgmt.Manager, log *slog.Logger) error {
	email, password := os.Getenv("USERMGMT_ADMIN_EMAIL"), os.Getenv("USERMGMT_ADMIN_PASSWORD")
	switch {
	case email == "" && password == "":
		return nil
	case email == "" || password == "":
		return errors.New("set both USERMGMT_ADMIN_EMAIL and USERMGMT_ADMIN_PASSWORD, or neither")
	}
	if err := m.EnsureAdmin(ctx, email, password); err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	log.Info("admin ready", "email", email)
	return nil
}
