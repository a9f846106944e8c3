// Command server is the runnable usermgmt service: the whole API under
// /api/v1 on SQLite by default, configured by environment variables, with
// the one page its emails link to (/reset-password, for reset and
// invitation links).
//
//	go run ./examples/server
//
// Variables (all optional; a bad value stops the server at start with a
// message naming the variable):
//
//	USERMGMT_ADDR                    listen address (":8080")
//	DATABASE_URL                     sqlite://PATH, sqlite://:memory: or postgres://... ("sqlite://usermgmt.db")
//	USERMGMT_SMTP_URL                smtp://[user:pass@]host:port[?from=...]; unset: mail is logged, not sent
//	USERMGMT_BASE_URL                public URL for links in emails ("http://localhost:8080")
//	USERMGMT_ADMIN_EMAIL             with USERMGMT_ADMIN_PASSWORD: create or update this admin at start
//	USERMGMT_ADMIN_PASSWORD
//	USERMGMT_RATE_LIMIT              requests per minute per client ("100"); "0" turns off every limit,
//	                                 the tight sign-in and mail limits too (tests and load tests only)
//	USERMGMT_CORS_ORIGINS            comma-separated origins allowed to call the API from a browser
//	USERMGMT_ENCRYPTION_KEY          base64 of 32 bytes (openssl rand -base64 32) sealing 2FA secrets
//	USERMGMT_SIGNING_KEY_FILE        PEM private key (Ed25519 or P-256) that signs access tokens;
//	                                 unset: a key is generated once and kept in the store
//	USERMGMT_ACCESS_TOKEN_TTL        Go duration ("15m")
//	USERMGMT_REFRESH_TOKEN_TTL       Go duration ("168h")
//	USERMGMT_REFRESH_REUSE_GRACE     Go duration ("0s": every reuse of a spent refresh token revokes)
//	USERMGMT_REQUIRE_VERIFIED_EMAIL  true: refuse login until the email is verified ("false")
//	USERMGMT_TRUSTED_PROXIES         comma-separated IPs or CIDR prefixes whose X-Forwarded-For is believed
//	USERMGMT_AVATAR_DIR              folder of avatar files (beside the SQLite file, named after it:
//	                                 usermgmt-avatars; in memory for sqlite://:memory:; ./usermgmt-avatars
//	                                 for postgres://)
//	USERMGMT_LOG_LEVEL               debug, info, warn or error ("info"); console mail is logged at info;
//	                                 the access log writes successful reads at debug, changes at info,
//	                                 refusals (4xx) at warn and server errors at error
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
	"syscall"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// The paths the example's emails link to, below USERMGMT_BASE_URL.
const (
	verifyPath = "/api/v1/auth/verify-email" // the API's GET route answers the link itself
	resetPath  = "/reset-password"           // pages/reset-password.html, for reset and invitation links
)

func main() {
	cfg, err := loadConfig(os.Getenv)
	log := newLogger(cfg.logLevel)
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

// newLogger logs text on a terminal and JSON otherwise, on stderr.
func newLogger(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// run serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, cfg config, log *slog.Logger) error {
	m, err := newManager(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	go func() { _ = m.Run(ctx) }()
	return serve(ctx, cfg.addr, newHandler(m), log)
}

// newManager opens the store, builds the Manager, migrates the schema and
// creates the admin. extra options come last, so tests can override.
func newManager(ctx context.Context, cfg config, log *slog.Logger, extra ...usermgmt.Option) (*usermgmt.Manager, error) {
	opts := append([]usermgmt.Option{
		usermgmt.WithLogger(log),
		usermgmt.WithEmailLinks(verifyPath, resetPath),
	}, cfg.options()...)
	if cfg.signingKeyFile != "" {
		key, err := readSigningKey(cfg.signingKeyFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, usermgmt.WithSigningKeys(key))
	}
	if cfg.smtpURL != "" {
		mailer, err := smtpMailer(cfg.smtpURL, cfg.baseURL)
		if err != nil {
			return nil, err
		}
		opts = append(opts, usermgmt.WithMailer(mailer))
	}
	avatarOpt, err := avatarStorage(cfg.avatarDir)
	if err != nil {
		return nil, err
	}
	opts = append(opts, avatarOpt)
	st, err := bunstore.Open(ctx, cfg.databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	m, err := usermgmt.New(st, append(opts, extra...)...)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := m.Migrate(ctx); err != nil {
		_ = m.Close()
		return nil, err
	}
	if err := bootstrapAdmin(ctx, m, cfg, log); err != nil {
		_ = m.Close()
		return nil, err
	}
	return m, nil
}

// newHandler mounts the API at /api/v1 and the pages the emails link to.
func newHandler(m *usermgmt.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", m.Handler()))
	servePages(mux, resetPath)
	return mux
}

// serve listens on addr until ctx is done.
func serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
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
		return nil, fmt.Errorf("USERMGMT_SMTP_URL: %w", err)
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

// bootstrapAdmin creates or updates the admin the environment names.
func bootstrapAdmin(ctx context.Context, m *usermgmt.Manager, cfg config, log *slog.Logger) error {
	email, password := cfg.adminEmail, cfg.adminPassword
	if email == "" {
		return nil
	}
	if err := m.EnsureAdmin(ctx, email, password); err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	log.Info("admin ready", "email", email)
	return nil
}
