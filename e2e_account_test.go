package usermgmt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/users"
)

// The account lifecycle over HTTP and from Go: deactivate and reactivate,
// soft delete and recover, permanent deletion. Helpers carry an acct
// prefix.

// acctHasher is bcrypt (cost 4) that counts its work, so the tests can
// check that every refusal of an anonymous route costs one hash
// comparison. Its hashes carry their own prefix so that auth.Passwords
// hands them back to it rather than to the built-in bcrypt.
type acctHasher struct{ n *atomic.Int64 }

const acctPrefix = "$acct$"

func (h acctHasher) Hash(pw string) (string, error) {
	h.n.Add(1)
	s, err := auth.Bcrypt{Cost: 4}.Hash(pw)
	return acctPrefix + s, err
}

func (h acctHasher) Verify(encoded, pw string) (bool, error) {
	h.n.Add(1)
	return auth.Bcrypt{Cost: 4}.Verify(strings.TrimPrefix(encoded, acctPrefix), pw)
}

func (h acctHasher) NeedsRehash(encoded string) bool { return !strings.HasPrefix(encoded, acctPrefix) }

// acctEnv is an e2eEnv whose hasher counts and whose permanent deletion
// records the ids it erases, then erases them with the Manager's own GDPR
// erasure.
type acctEnv struct {
	*e2eEnv
	hashes *atomic.Int64
	mu     sync.Mutex
	erased []string
}

// acctErased returns the ids the eraser was called with.
func (e *acctEnv) acctErased() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.erased...)
}

func newAcctEnv(t *testing.T, st store.Store, opts ...usermgmt.Option) *acctEnv {
	t.Helper()
	if st == nil {
		st = dbtest.SQLite(t)
	}
	e := &acctEnv{hashes: new(atomic.Int64)}
	eraser := users.EraserFunc(func(ctx context.Context, id string) error {
		e.mu.Lock()
		e.erased = append(e.erased, id)
		e.mu.Unlock()
		return e.m.GDPR().Erase(ctx, id)
	})
	base := []usermgmt.Option{usermgmt.WithHasher(acctHasher{e.hashes}), usermgmt.WithEraser(eraser)}
	e.e2eEnv = newE2E(t, st, append(base, opts...)...)
	return e
}

// acctUser registers and signs in email.
func (e *acctEnv) acctUser(t *testing.T, email string) (id string, tk e2eTokens) {
	t.Helper()
	id = e.register(t, email)
	return id, e.login(t, email, e2ePassword)
}

// acctLoginProblem signs in with password and returns the refusal.
func (e *acctEnv) acctLoginProblem(t *testing.T, email, password string, status int, code string) map[string]any {
	t.Helper()
	r := e.post(t, "/auth/login", map[string]any{"identifier": email, "password": password})
	e2eCheckProblem(t, r, status, code)
	return r.JSON(t)
}

// acctSame strips what differs between any two answers (the request id)
// so refusals can be compared whole.
func acctSame(t *testing.T, r *e2eResp) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "%s", r)
	delete(m, "requestId")
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return http.StatusText(r.Status) + " " + string(b)
}

func (e *acctEnv) acctStatus(t *testing.T, id string) store.Status {
	t.Helper()
	u, err := e.m.Store().Users().ByID(context.Background(), id)
	require.NoError(t, err)
	return u.Status
}

func (e *acctEnv) acctAudit(t *testing.T, action, target string, outcome store.Outcome) int {
	t.Helper()
	page, err := e.m.Store().Audit().List(context.Background(),
		store.AuditFilter{Action: action, TargetID: target, Outcome: outcome}, store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	return len(page.Items)
}

func TestAccountDeactivateAndReactivate(t *testing.T) {
	e := newAcctEnv(t, nil)
	id, tk := e.acctUser(t, "ada@example.com")
	bearer := e2eBearer(tk.AccessToken)
	otherID, _ := e.acctUser(t, "bob@example.com")

	// A wrong password is 403 INVALID_PASSWORD, not a dead session.
	r := e.post(t, "/account/deactivate", map[string]any{"password": "not-the-password"}, bearer...)
	e2eCheckProblem(t, r, http.StatusForbidden, "INVALID_PASSWORD")
	assert.Equal(t, store.StatusActive, e.acctStatus(t, id))

	r = e.post(t, "/account/deactivate", map[string]any{"password": e2ePassword}, bearer...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "deactivated", r.JSON(t)["status"])
	assert.Equal(t, store.StatusDeactivated, e.acctStatus(t, id))
	assert.Equal(t, 1, e.acctAudit(t, users.ActionDeactivate, id, store.OutcomeSuccess))

	// Every session ends at once: the access token and the refresh token.
	e2eCheckProblem(t, e.get(t, "/users/profile", bearer...), http.StatusUnauthorized, "UNAUTHENTICATED")
	e2eCheckProblem(t, e.post(t, "/auth/refresh", map[string]any{"refreshToken": tk.RefreshToken}),
		http.StatusUnauthorized, "INVALID_REFRESH_TOKEN")

	// Login: the state code only after a correct password.
	e.acctLoginProblem(t, "ada@example.com", e2ePassword, http.StatusForbidden, "ACCOUNT_DEACTIVATED")
	e.acctLoginProblem(t, "ada@example.com", "not-the-password", http.StatusUnauthorized, "INVALID_CREDENTIALS")

	// Reactivate refuses an unknown account, a wrong password and an
	// account that is not deactivated alike, with one hash check each.
	var answers []string
	for _, body := range []map[string]any{
		{"identifier": "nobody@example.com", "password": e2ePassword},
		{"identifier": "ada@example.com", "password": "not-the-password"},
		{"identifier": "bob@example.com", "password": e2ePassword},
		{"identifier": "nobody", "password": e2ePassword},
	} {
		before := e.hashes.Load()
		r := e.post(t, "/account/reactivate", body)
		e2eCheckProblem(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		assert.Equal(t, int64(1), e.hashes.Load()-before, "one hash check for %v", body["identifier"])
		answers = append(answers, acctSame(t, r))
	}
	for _, a := range answers[1:] {
		assert.Equal(t, answers[0], a, "every refusal reads the same")
	}
	assert.Equal(t, store.StatusActive, e.acctStatus(t, otherID))

	r = e.post(t, "/account/reactivate", map[string]any{"identifier": "ADA@example.com", "password": e2ePassword})
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	body := r.JSON(t)
	assert.Equal(t, id, body["id"])
	assert.Equal(t, "active", body["status"])
	assert.Equal(t, []any{"user"}, body["roles"])
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	assert.Equal(t, 1, e.acctAudit(t, users.ActionReactivate, id, store.OutcomeSuccess))
	e.login(t, "ada@example.com", e2ePassword)

	// Active again: reactivate refuses it like a wrong password.
	r = e.post(t, "/account/reactivate", map[string]any{"identifier": "ada@example.com", "password": e2ePassword})
	e2eCheckProblem(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	assert.Equal(t, answers[0], acctSame(t, r))
}

func TestAccountDeleteAndRecover(t *testing.T) {
	const window = 48 * time.Hour
	e := newAcctEnv(t, nil, usermgmt.WithAccountRecoveryWindow(window))
	id, tk := e.acctUser(t, "ada@example.com")
	bearer := e2eBearer(tk.AccessToken)

	e2eCheckProblem(t, e.do(t, http.MethodDelete, "/account", map[string]any{"password": "wrong-password"}, bearer...),
		http.StatusForbidden, "INVALID_PASSWORD")

	deletedAt := e.clock.Now()
	r := e.do(t, http.MethodDelete, "/account", map[string]any{"password": e2ePassword}, bearer...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	purgeAfter := deletedAt.Add(window).UTC().Format(time.RFC3339)
	assert.Equal(t, map[string]any{"purgeAfter": purgeAfter}, r.JSON(t))
	u, err := e.m.Store().Users().ByID(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, store.StatusDeleted, u.Status)
	require.NotNil(t, u.DeletedAt)
	assert.True(t, u.DeletedAt.Equal(deletedAt))
	assert.Equal(t, 1, e.acctAudit(t, users.ActionDelete, id, store.OutcomeSuccess))

	e2eCheckProblem(t, e.get(t, "/users/profile", bearer...), http.StatusUnauthorized, "UNAUTHENTICATED")
	p := e.acctLoginProblem(t, "ada@example.com", e2ePassword, http.StatusForbidden, "ACCOUNT_DELETED")
	assert.Equal(t, purgeAfter, p["purgeAfter"])
	e.acctLoginProblem(t, "ada@example.com", "wrong-password", http.StatusUnauthorized, "INVALID_CREDENTIALS")

	// The row stays: the email is still taken.
	r = e.post(t, "/auth/register", map[string]any{"email": "ada@example.com", "password": e2ePassword})
	e2eCheckProblem(t, r, http.StatusConflict, "EMAIL_TAKEN")

	// Within the window, the last second included, recover works.
	wrong := e.post(t, "/account/recover", map[string]any{"identifier": "ada@example.com", "password": "wrong-password"})
	e2eCheckProblem(t, wrong, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	unknown := e.post(t, "/account/recover", map[string]any{"identifier": "nobody@example.com", "password": e2ePassword})
	assert.Equal(t, acctSame(t, wrong), acctSame(t, unknown))
	e.clock.Advance(window - time.Second)
	r = e.post(t, "/account/recover", map[string]any{"identifier": "ada@example.com", "password": e2ePassword})
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "active", r.JSON(t)["status"])
	u, err = e.m.Store().Users().ByID(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, u.DeletedAt)
	assert.Nil(t, u.PurgeAfter)
	assert.Equal(t, 1, e.acctAudit(t, users.ActionRecover, id, store.OutcomeSuccess))

	// Recovering an active account is refused like a wrong password.
	r = e.post(t, "/account/recover", map[string]any{"identifier": "ada@example.com", "password": e2ePassword})
	assert.Equal(t, acctSame(t, wrong), acctSame(t, r))

	// Deleted again; at purgeAfter exactly the window is over.
	tk = e.login(t, "ada@example.com", e2ePassword)
	r = e.do(t, http.MethodDelete, "/account", map[string]any{"password": e2ePassword}, e2eBearer(tk.AccessToken)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	e.clock.Advance(window)
	before := e.hashes.Load()
	r = e.post(t, "/account/recover", map[string]any{"identifier": "ada@example.com", "password": e2ePassword})
	assert.Equal(t, acctSame(t, wrong), acctSame(t, r))
	assert.Equal(t, int64(1), e.hashes.Load()-before)
	assert.Equal(t, store.StatusDeleted, e.acctStatus(t, id))
}

func TestAccountPermanentDelete(t *testing.T) {
	e := newAcctEnv(t, nil)
	id, tk := e.acctUser(t, "ada@example.com")
	bearer := e2eBearer(tk.AccessToken)

	e2eCheckProblem(t, e.post(t, "/account/permanent-delete", map[string]any{"password": "wrong-password"}, bearer...),
		http.StatusForbidden, "INVALID_PASSWORD")
	assert.Empty(t, e.acctErased())

	r := e.post(t, "/account/permanent-delete", map[string]any{"password": e2ePassword}, bearer...)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r)
	assert.Empty(t, r.Body)
	assert.Equal(t, []string{id}, e.acctErased())
	_, err := e.m.Store().Users().ByID(context.Background(), id)
	assert.ErrorIs(t, err, store.ErrUserNotFound)
	// The erasure pseudonymised the account's audit rows: the row of the
	// permanent delete is there, no longer naming the account.
	assert.Equal(t, 0, e.acctAudit(t, users.ActionPermanentDelete, id, store.OutcomeSuccess))
	assert.Equal(t, 1, e.acctAudit(t, users.ActionPermanentDelete, "", store.OutcomeSuccess))
	assert.Equal(t, 1, e.acctAudit(t, "gdpr.erase", "", store.OutcomeSuccess))
	e2eCheckProblem(t, e.get(t, "/users/profile", bearer...), http.StatusUnauthorized, "")
	e.acctLoginProblem(t, "ada@example.com", e2ePassword, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	r = e.post(t, "/account/recover", map[string]any{"identifier": "ada@example.com", "password": e2ePassword})
	e2eCheckProblem(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
}

func TestAccountLastAdmin(t *testing.T) {
	e := newAcctEnv(t, nil)
	ctx := context.Background()
	admin, err := e.m.Store().Roles().ByName(ctx, store.RoleAdmin)
	require.NoError(t, err)
	makeAdmin := func(id string) {
		require.NoError(t, e.m.Store().Roles().Assign(ctx, id, admin.ID, time.Now()))
	}
	firstID := e.register(t, "first@example.com")
	makeAdmin(firstID)
	first := e2eBearer(e.login(t, "first@example.com", e2ePassword).AccessToken)

	routes := []struct{ method, path string }{
		{http.MethodPost, "/account/deactivate"},
		{http.MethodDelete, "/account"},
		{http.MethodPost, "/account/permanent-delete"},
	}
	refuseAll := func(label string) {
		t.Helper()
		for _, rt := range routes {
			r := e.do(t, rt.method, rt.path, map[string]any{"password": e2ePassword}, first...)
			e2eCheckProblem(t, r, http.StatusUnprocessableEntity, "LAST_ADMIN")
			assert.Equal(t, store.StatusActive, e.acctStatus(t, firstID), "%s: %s %s", label, rt.method, rt.path)
		}
	}
	refuseAll("only admin")
	assert.Empty(t, e.acctErased())
	for _, action := range []string{users.ActionDeactivate, users.ActionDelete, users.ActionPermanentDelete} {
		assert.Equal(t, 1, e.acctAudit(t, action, firstID, store.OutcomeDenied), action)
	}

	// A second admin who is deactivated cannot sign in: it does not count.
	secondID, second := e.acctUser(t, "second@example.com")
	makeAdmin(secondID)
	r := e.post(t, "/account/deactivate", map[string]any{"password": e2ePassword}, e2eBearer(second.AccessToken)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	refuseAll("other admin deactivated")

	// With another active admin, the first may go.
	_, err = e.m.Account().Reactivate(ctx, "second@example.com", e2ePassword)
	require.NoError(t, err)
	r = e.post(t, "/account/deactivate", map[string]any{"password": e2ePassword}, first...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
}

func TestAccountBadInput(t *testing.T) {
	e := newAcctEnv(t, nil)
	_, tk := e.acctUser(t, "ada@example.com")
	bearer := e2eBearer(tk.AccessToken)

	signedIn := []struct{ method, path string }{
		{http.MethodPost, "/account/deactivate"},
		{http.MethodDelete, "/account"},
		{http.MethodPost, "/account/permanent-delete"},
	}
	for _, rt := range signedIn {
		for _, tc := range []struct {
			name   string
			body   any
			hdr    []string
			status int
			code   string
			fields []string
		}{
			{"no token", map[string]any{"password": e2ePassword}, nil, 401, "UNAUTHENTICATED", nil},
			{"empty body", e2eRaw(""), bearer, 400, "MALFORMED_JSON", nil},
			{"not JSON", e2eRaw("{"), bearer, 400, "MALFORMED_JSON", nil},
			{"no password", map[string]any{}, bearer, 400, "VALIDATION_FAILED", []string{"password"}},
			{"empty password", map[string]any{"password": ""}, bearer, 400, "VALIDATION_FAILED", []string{"password"}},
			{"password not a string", map[string]any{"password": 42}, bearer, 400, "VALIDATION_FAILED", []string{"password"}},
			{"unknown field", map[string]any{"password": e2ePassword, "force": true}, bearer, 400, "VALIDATION_FAILED", []string{"force"}},
		} {
			t.Run(rt.method+" "+rt.path+"/"+tc.name, func(t *testing.T) {
				r := e.do(t, rt.method, rt.path, tc.body, tc.hdr...)
				p := e2eCheckProblem(t, r, tc.status, tc.code)
				if tc.fields != nil {
					assert.Equal(t, tc.fields, p.Fields())
				}
			})
		}
	}
	for _, path := range []string{"/account/reactivate", "/account/recover"} {
		for _, tc := range []struct {
			name   string
			body   any
			code   string
			fields []string
		}{
			{"empty body", e2eRaw(""), "MALFORMED_JSON", nil},
			{"nothing", map[string]any{}, "VALIDATION_FAILED", []string{"identifier", "password"}},
			{"no password", map[string]any{"identifier": "ada@example.com"}, "VALIDATION_FAILED", []string{"password"}},
			{"blank identifier", map[string]any{"identifier": "  ", "password": "x"}, "VALIDATION_FAILED", []string{"identifier"}},
			{"long identifier", map[string]any{"identifier": strings.Repeat("a", 255), "password": "x"}, "VALIDATION_FAILED", []string{"identifier"}},
			{"wrong types", map[string]any{"identifier": 1, "password": true}, "VALIDATION_FAILED", []string{"identifier", "password"}},
			{"unknown field", map[string]any{"identifier": "ada@example.com", "password": "x", "status": "active"}, "VALIDATION_FAILED", []string{"status"}},
		} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				p := e2eCheckProblem(t, e.post(t, path, tc.body), http.StatusBadRequest, tc.code)
				if tc.fields != nil {
					assert.Equal(t, tc.fields, p.Fields())
				}
			})
		}
	}
	// Nothing above changed the account.
	e.login(t, "ada@example.com", e2ePassword)
}

// TestAccountLockout: wrong passwords on the signed-in routes and on the
// anonymous ones count toward the login lock-out of the account.
func TestAccountLockout(t *testing.T) {
	e := newAcctEnv(t, nil)
	_, tk := e.acctUser(t, "ada@example.com")
	bearer := e2eBearer(tk.AccessToken)
	for i := 0; i < 3; i++ {
		r := e.post(t, "/account/deactivate", map[string]any{"password": "wrong-password"}, bearer...)
		e2eCheckProblem(t, r, http.StatusForbidden, "INVALID_PASSWORD")
	}
	for i := 0; i < 2; i++ {
		r := e.post(t, "/account/reactivate", map[string]any{"identifier": "ada@example.com", "password": "wrong-password"})
		e2eCheckProblem(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	// Five failures: the right password now meets the lock everywhere.
	e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": "ada@example.com", "password": e2ePassword}),
		http.StatusLocked, "ACCOUNT_LOCKED")
	e2eCheckProblem(t, e.post(t, "/account/recover", map[string]any{"identifier": "ada@example.com", "password": e2ePassword}),
		http.StatusLocked, "ACCOUNT_LOCKED")
	e2eCheckProblem(t, e.do(t, http.MethodDelete, "/account", map[string]any{"password": e2ePassword}, bearer...),
		http.StatusLocked, "ACCOUNT_LOCKED")
}

// TestAccountRateLimited: reactivate and recover share login's
// per-identifier limit.
func TestAccountRateLimited(t *testing.T) {
	e := newAcctEnv(t, nil, usermgmt.WithRateLimits(func() httpapi.Limits {
		l := httpapi.DefaultLimits()
		l.LoginPerIdentifier.Requests = 2
		return l
	}()))
	body := map[string]any{"identifier": "nobody@example.com", "password": e2ePassword}
	e2eCheckProblem(t, e.post(t, "/account/reactivate", body), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	e2eCheckProblem(t, e.post(t, "/account/recover", body), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	r := e.post(t, "/auth/login", body)
	e2eCheckProblem(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
}

// TestAccountGo drives the lifecycle from Go: the actor comes from the
// context, the host's own code acts as store.SystemActor without a
// password.
func TestAccountGo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAcctEnv(t, st, usermgmt.WithAccountRecoveryWindow(time.Hour))
		ctx := context.Background()
		adaID := e.register(t, "ada@example.com")
		bobID := e.register(t, "bob@example.com")
		acct := e.m.Account()
		assert.Equal(t, time.Hour, acct.RecoveryWindow())

		assert.ErrorIs(t, acct.Deactivate(ctx, adaID, e2ePassword), store.ErrUnauthenticated)
		asBob := store.NewContextWithActor(ctx, store.Actor{UserID: bobID})
		assert.ErrorIs(t, acct.Deactivate(asBob, adaID, e2ePassword), store.ErrPermissionDenied)
		asAda := store.NewContextWithActor(ctx, store.Actor{UserID: adaID})
		assert.ErrorIs(t, acct.Deactivate(asAda, adaID, ""), store.ErrValidation)
		assert.ErrorIs(t, acct.Deactivate(asAda, adaID, "wrong-password"), store.ErrInvalidPassword)
		require.NoError(t, acct.Deactivate(asAda, adaID, e2ePassword))
		assert.ErrorIs(t, acct.Deactivate(asAda, adaID, e2ePassword), store.ErrConflict, "already deactivated")

		_, err := acct.Recover(ctx, "ada@example.com", e2ePassword)
		assert.ErrorIs(t, err, store.ErrInvalidCredentials, "deactivated, not deleted")
		p, err := acct.Reactivate(ctx, "ada@example.com", e2ePassword)
		require.NoError(t, err)
		assert.Equal(t, store.StatusActive, p.User.Status)
		assert.Equal(t, []string{"user"}, p.Roles)

		sys := store.NewContextWithActor(ctx, store.SystemActor)
		purgeAfter, err := acct.Delete(sys, bobID, "")
		require.NoError(t, err)
		assert.True(t, purgeAfter.Equal(e.clock.Now().Add(time.Hour)))
		_, err = acct.Reactivate(ctx, "bob@example.com", e2ePassword)
		assert.ErrorIs(t, err, store.ErrInvalidCredentials, "deleted, not deactivated")
		_, err = acct.Recover(ctx, "bob@example.com", e2ePassword)
		require.NoError(t, err)

		require.NoError(t, acct.PermanentDelete(sys, bobID, ""))
		_, err = st.Users().ByID(ctx, bobID)
		assert.ErrorIs(t, err, store.ErrUserNotFound)
	})
}

func TestAccountRecoveryWindowOption(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		_, err := usermgmt.New(dbtest.SQLite(t), usermgmt.WithAccountRecoveryWindow(d))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "WithAccountRecoveryWindow")
	}
}

// TestAccountLastAdminRace: two administrators leaving at once cannot
// both pass the last-admin rule; exactly one stays.
func TestAccountLastAdminRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAcctEnv(t, st)
		ctx := context.Background()
		admin, err := st.Roles().ByName(ctx, store.RoleAdmin)
		require.NoError(t, err)
		var tokens []string
		for _, email := range []string{"first@example.com", "second@example.com"} {
			id := e.register(t, email)
			require.NoError(t, st.Roles().Assign(ctx, id, admin.ID, time.Now()))
			tokens = append(tokens, e.login(t, email, e2ePassword).AccessToken)
		}
		paths := []string{"/account/deactivate", "/account/permanent-delete"}
		rs := e2eParallel(t, 2, func(i int) (*e2eResp, error) {
			return e.send(http.MethodPost, paths[i], map[string]any{"password": e2ePassword}, e2eBearer(tokens[i])...)
		})
		got := e2eStatuses(rs)
		assert.Equal(t, 1, got[http.StatusUnprocessableEntity], "one refused: %v %v", rs[0], rs[1])
		assert.Equal(t, 1, got[http.StatusOK]+got[http.StatusNoContent], "one passed: %v %v", rs[0], rs[1])
	})
}

// TestAccountPermanentDeleteErases: a Manager as a host builds it erases
// the account through its GDPR erasure: nothing to sign in to, and the
// address is free again.
func TestAccountPermanentDeleteErases(t *testing.T) {
	e := newE2E(t, nil)
	id := e.register(t, "ada@example.com")
	tk := e.login(t, "ada@example.com", e2ePassword)
	r := e.post(t, "/account/permanent-delete", map[string]any{"password": e2ePassword}, e2eBearer(tk.AccessToken)...)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r)
	_, err := e.m.Store().Users().ByID(context.Background(), id)
	assert.ErrorIs(t, err, store.ErrUserNotFound)
	e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": "ada@example.com", "password": e2ePassword}),
		http.StatusUnauthorized, "INVALID_CREDENTIALS")
	e.register(t, "ada@example.com")
}
