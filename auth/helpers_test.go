package auth_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// svcStart is where every service test's clock starts.
var svcStart = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Request facts every service test call carries, so audit rows and
// sessions can be checked against them.
const (
	svcIP        = "203.0.113.7"
	svcRequestID = "req-0001"
	svcChromeMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 " +
		"(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	// svcPassword is acceptable to the default policy for every account the
	// tests create.
	svcPassword = "Plum-Kettle-Orbit-42"
)

// svcCtx returns a context carrying the test request facts.
func svcCtx() context.Context {
	return store.NewContextWithRequest(context.Background(),
		store.Request{ID: svcRequestID, IP: svcIP, UserAgent: svcChromeMac})
}

// svcEnv is an auth.Service on a real store with a fixed clock, fast
// hashing and a capturing mailer.
type svcEnv struct {
	t     *testing.T
	st    *bunstore.Store
	clock *testkit.Clock
	box   *testkit.Mailbox
	async *notify.Async
	svc   *auth.Service
}

// newSvcEnv builds the environment on st; edit, when not nil, changes the
// service's configuration before New.
func newSvcEnv(t *testing.T, st *bunstore.Store, edit func(*auth.Config)) *svcEnv {
	t.Helper()
	e := &svcEnv{t: t, st: st, clock: testkit.NewClock(svcStart), box: &testkit.Mailbox{}}
	e.async = notify.NewAsync(e.box, nil, 4, time.Second)
	// Registered after the store's cleanup, so it runs first: background
	// work finishes before the store closes.
	t.Cleanup(e.async.Close)
	e.svc = e.service(edit)
	return e
}

// service returns another Service (another instance, say) on the same
// store, clock and mailer, with its own token issuer and caches.
func (e *svcEnv) service(edit func(*auth.Config)) *auth.Service {
	e.t.Helper()
	return newTestService(e.t, e.st, e.clock, e.box, edit)
}

// otherInstance returns a Service as another instance sharing the
// database would run it: it hears none of this process's changes, so it
// serves its cache for up to staleness.
func (e *svcEnv) otherInstance(staleness time.Duration) *auth.Service {
	e.t.Helper()
	return newTestService(e.t, dbtest.OtherProcess(e.st), e.clock, e.box, withStaleness(staleness))
}

// withStaleness gives a Service its own sessions service with that bound.
func withStaleness(d time.Duration) func(*auth.Config) {
	return func(c *auth.Config) {
		svc, err := sessions.New(sessions.Config{Store: c.Store, Audit: c.Audit, Now: c.Now, Staleness: d})
		if err != nil {
			panic(err)
		}
		c.Sessions = svc
	}
}

// newTestService returns an auth.Service on st with the clock and mail
// queue, fast hashing, its own token issuer and the app at
// https://app.example.com; edit, when not nil, changes the configuration
// before New.
func newTestService(t testing.TB, st store.Store, clock *testkit.Clock, mailer notify.Mailer, edit func(*auth.Config)) *auth.Service {
	t.Helper()
	tokens, err := auth.NewTokens(st, auth.TokenConfig{
		Issuer: "https://issuer.test", Audience: "https://issuer.test", Now: clock.Now})
	require.NoError(t, err)
	base, err := url.Parse("https://app.example.com")
	require.NoError(t, err)
	cfg := auth.Config{
		Store:     st,
		Audit:     audit.New(st, clock.Now),
		Tokens:    tokens,
		Passwords: auth.Passwords{Preferred: auth.Bcrypt{Cost: 4}},
		Mailer:    mailer,
		BaseURL:   base,
		Now:       clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := auth.New(cfg)
	require.NoError(t, err)
	return svc
}

// mails delivers the outbox (the mail jobs and mails the service wrote),
// waits for background mail and returns what was sent so far.
func (e *svcEnv) mails() []notify.Message {
	e.flush()
	return e.box.Messages()
}

// mailsTo returns the messages sent to addr.
func (e *svcEnv) mailsTo(addr string) []notify.Message {
	e.flush()
	return e.box.MessagesTo(addr)
}

// flush delivers what is due in the outbox, as Manager.Run does, and
// waits for background mail.
func (e *svcEnv) flush() {
	e.t.Helper()
	deliverOutbox(e.t, e.st, e.clock, e.svc, e.box)
	e.async.Close()
}

// deliverOutbox runs a dispatcher pass with the service's jobs and mail
// going to mailer; a job that fails fails the test.
func deliverOutbox(t testing.TB, st store.Store, clock *testkit.Clock, svc *auth.Service, mailer notify.Mailer) {
	t.Helper()
	jobs := svc.Jobs()
	jobs[notify.JobMail] = notify.MailJob(mailer)
	d, err := events.NewDispatcher(events.DispatcherConfig{Store: st, Jobs: jobs, Now: clock.Now, MaxAttempts: 1})
	require.NoError(t, err)
	_, err = d.Deliver(context.Background())
	require.NoError(t, err)
	dead, err := d.DeadLetters(context.Background(), 10)
	require.NoError(t, err)
	require.Empty(t, dead, "failed outbox jobs")
}

var svcLinkToken = regexp.MustCompile(`\?token=([A-Za-z0-9_-]+)`)

// linkToken returns the token of the link starting with prefix in the
// newest message to addr that has one. Messages queued by different calls
// may arrive in any order; callers flush between calls whose order matters.
func (e *svcEnv) linkToken(addr, prefix string) string {
	e.t.Helper()
	msgs := e.mailsTo(addr)
	for i := len(msgs) - 1; i >= 0; i-- {
		text := msgs[i].Text
		if j := strings.Index(text, prefix+"?token="); j >= 0 {
			m := svcLinkToken.FindStringSubmatch(text[j+len(prefix):])
			require.NotNil(e.t, m)
			return m[1]
		}
	}
	require.Fail(e.t, "no link", "no mail to %s has a link %s", addr, prefix)
	return ""
}

const (
	svcVerifyLink = "https://app.example.com/api/v1/auth/verify-email"
	svcResetLink  = "https://app.example.com/reset-password"
)

// register creates an account with svcPassword.
func (e *svcEnv) register(email, username string) *store.User {
	e.t.Helper()
	u, err := e.svc.Register(svcCtx(), auth.Registration{Email: email, Username: username, Password: svcPassword})
	require.NoError(e.t, err)
	e.flush() // the sign-up mail goes out at once, as Run sends it
	return u
}

// login signs in and returns the tokens.
func (e *svcEnv) login(ident, password string) *auth.TokenPair {
	e.t.Helper()
	res, err := e.svc.Login(svcCtx(), auth.Credentials{Identifier: ident, Password: password})
	require.NoError(e.t, err)
	require.NotNil(e.t, res.Tokens)
	return res.Tokens
}

// user reloads a user from the store.
func (e *svcEnv) user(id string) *store.User {
	e.t.Helper()
	u, err := e.st.Users().ByID(context.Background(), id)
	require.NoError(e.t, err)
	return u
}

// setStatus changes a user's status directly in the store, as an admin
// would.
func (e *svcEnv) setStatus(id string, edit func(u *store.User)) {
	e.t.Helper()
	_, err := e.st.Users().Update(context.Background(), id, func(u *store.User) error {
		edit(u)
		return nil
	})
	require.NoError(e.t, err)
}

// auditRows returns the audit entries matching f, newest first.
func (e *svcEnv) auditRows(f store.AuditFilter) []store.AuditEntry {
	e.t.Helper()
	var rows []store.AuditEntry
	r := store.ListRequest{Limit: store.MaxLimit}
	for {
		p, err := e.st.Audit().List(context.Background(), f, r)
		require.NoError(e.t, err)
		rows = append(rows, p.Items...)
		if p.NextCursor == "" {
			return rows
		}
		r.Cursor = p.NextCursor
	}
}

// session loads a session from the store.
func (e *svcEnv) session(id string) *store.Session {
	e.t.Helper()
	s, err := e.st.Sessions().ByID(context.Background(), id)
	require.NoError(e.t, err)
	return s
}

// requireCode checks that err matches want (by code, with errors.Is).
func requireCode(t testing.TB, want *store.Error, err error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, want, "got %v", err)
}
