package usermgmt_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// eventLog is a host's event handler that keeps what it is given.
type eventLog struct {
	mu  sync.Mutex
	got []events.Event
}

func (l *eventLog) HandleEvent(_ context.Context, e events.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, e)
	return nil
}

// of returns the events about userID so far.
func (l *eventLog) of(userID string) []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.Event
	for _, e := range l.got {
		if e.UserID == userID {
			out = append(out, e)
		}
	}
	return out
}

// waitFor waits until an event of userID named name arrived, and returns
// it.
func (l *eventLog) waitFor(t *testing.T, userID string, name store.EventName) events.Event {
	t.Helper()
	var found events.Event
	ok := testkit.Poll(5*time.Second, func() bool {
		for _, e := range l.of(userID) {
			if e.Name == name {
				found = e
				return true
			}
		}
		return false
	})
	require.True(t, ok, "no %s event for %s; got %v", name, userID, l.of(userID))
	return found
}

// TestE2EEventsOfFlows: the API's flows emit their events, written with
// the change and delivered right after the commit by the dispatcher.
func TestE2EEventsOfFlows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		log := &eventLog{}
		e := newE2E(t, st, usermgmt.WithEventHandler(log))
		id := e.register(t, "ada@example.com")
		created := log.waitFor(t, id, store.EventUserCreated)
		assert.Equal(t, events.UserCreated{Method: "register"}, created.Payload)

		r := e.post(t, "/auth/login", map[string]any{"identifier": "ada@example.com", "password": "wrong-password-1"})
		require.Equal(t, http.StatusUnauthorized, r.Status)
		failed := log.waitFor(t, id, store.EventLoginFailed)
		assert.Equal(t, events.LoginFailed{Reason: "bad_credentials"}, failed.Payload)

		tk := e.login(t, "ada@example.com", e2ePassword)
		ok := log.waitFor(t, id, store.EventLoginSucceeded)
		assert.NotEmpty(t, ok.Payload.(events.LoginSucceeded).SessionID)

		r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"firstName": "Ada", "bio": "maths"}, e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		updated := log.waitFor(t, id, store.EventUserUpdated)
		assert.Equal(t, events.UserUpdated{Fields: []string{"bio", "firstName"}}, updated.Payload, "names, never values")
		assert.Equal(t, id, updated.ActorID)

		r = e.post(t, "/auth/change-password", map[string]any{"currentPassword": e2ePassword, "newPassword": "another-password-xyz-7"},
			e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		pw := log.waitFor(t, id, store.EventPasswordChanged)
		assert.Equal(t, events.PasswordChanged{}, pw.Payload)

		var names []store.EventName
		for _, ev := range log.of(id) {
			names = append(names, ev.Name)
		}
		assert.Equal(t, []store.EventName{store.EventUserCreated, store.EventLoginFailed, store.EventLoginSucceeded,
			store.EventUserUpdated, store.EventPasswordChanged}, names, "in order")
	})
}

// TestE2EWebhook: WithWebhook posts the events of the API's flows, signed,
// to a real HTTP server that verifies them.
func TestE2EWebhook(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a-webhook-key-of-32-bytes-long!!"))
	var (
		mu    sync.Mutex
		types []string
		bad   int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if events.Verify(secret, r.Header, body, time.Now(), 0) != nil {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev struct{ Type string }
		_ = json.Unmarshal(body, &ev)
		types = append(types, ev.Type)
	}))
	defer hook.Close()
	e := newE2E(t, nil, usermgmt.WithWebhook(hook.URL, secret))
	e.register(t, "ada@example.com")
	e.login(t, "ada@example.com", e2ePassword)
	require.True(t, testkit.Poll(5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(types) == 2 }))
	assert.Equal(t, []string{"user.created", "auth.login_succeeded"}, types)
	assert.Zero(t, bad)

	_, err := usermgmt.New(dbtest.SQLite(t), usermgmt.WithWebhook("https://example.com/hook", "nope"))
	assert.ErrorContains(t, err, "WithWebhook")
}

// TestE2EMailSurvivesADownSMTPServer: while the mail server refuses,
// forgot-password still answers at once and the mails wait in the outbox;
// once it accepts again, every mail arrives exactly once, and none for
// the unknown address.
func TestE2EMailSurvivesADownSMTPServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newE2E(t, st)
		addrs := []string{"ada@example.com", "bob@example.com", "cyd@example.com"}
		for _, a := range addrs {
			e.register(t, a)
			e.mail.next(t, a, "Confirm your email address", 5*time.Second)
		}
		failing := func() int {
			n, err := st.DB().NewSelect().TableExpr("outbox_events").Where("last_error IS NOT NULL").Count(context.Background())
			require.NoError(t, err)
			return n
		}
		e.mail.srv.Refuse(true)
		for _, a := range append(addrs, "nobody@example.com") {
			r := e.post(t, "/auth/forgot-password", map[string]any{"email": a})
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r)
		}
		require.True(t, testkit.Poll(5*time.Second, func() bool { return failing() == len(addrs) }),
			"the mails fail and wait: %d", failing())
		e.clock.Advance(2 * time.Second) // the first retry is due, and fails too
		e.m.Outbox().Wake()
		require.True(t, testkit.Poll(5*time.Second, func() bool {
			n, _ := st.DB().NewSelect().TableExpr("outbox_events").Where("attempts >= 2").Count(context.Background())
			return n == len(addrs)
		}))
		for _, a := range addrs {
			assert.Zero(t, e.mail.countSubject(a, "Reset your password"))
		}

		e.mail.srv.Refuse(false)
		e.clock.Advance(5 * time.Second)
		e.m.Outbox().Wake()
		for _, a := range addrs {
			e.mail.next(t, a, "Reset your password", 5*time.Second)
		}
		time.Sleep(100 * time.Millisecond) // a duplicate would arrive now
		for _, a := range addrs {
			assert.Equal(t, 1, e.mail.countSubject(a, "Reset your password"), a)
		}
		assert.Zero(t, e.mail.to("nobody@example.com"))
		n, err := st.DB().NewSelect().TableExpr("outbox_events").Count(context.Background())
		require.NoError(t, err)
		assert.Zero(t, n, "sent mail leaves the outbox, with its address")
	})
}

// TestE2EEventsSurviveARestart: a Manager closed before it delivered
// (no Run, as if it crashed after the commits) leaves its events in the
// store; the next Manager on the same database delivers them when its Run
// starts.
func TestE2EEventsSurviveARestart(t *testing.T) {
	dsn := "sqlite://" + t.TempDir() + "/restart.db"
	open := func(opts ...usermgmt.Option) *usermgmt.Manager {
		st, err := bunstore.Open(context.Background(), dsn)
		require.NoError(t, err)
		m, err := usermgmt.New(st, append([]usermgmt.Option{usermgmt.WithHasher(auth.Bcrypt{Cost: 4}),
			usermgmt.WithMailer(&testkit.Mailbox{})}, opts...)...)
		require.NoError(t, err)
		require.NoError(t, m.Migrate(context.Background()))
		return m
	}
	first := open()
	u, err := first.Auth().Register(context.Background(), auth.Registration{Email: "ada@example.com", Password: e2ePassword})
	require.NoError(t, err)
	require.NoError(t, first.Close())

	log := &eventLog{}
	second := open(usermgmt.WithEventHandler(log))
	defer second.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- second.Run(ctx) }()
	log.waitFor(t, u.ID, store.EventUserCreated)
	cancel()
	require.NoError(t, <-done)
	assert.Len(t, log.of(u.ID), 1, "delivered once")
}
