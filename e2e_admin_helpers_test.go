package usermgmt_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/store"
)

// adminEnv is an rbacEnv with one more signed-in account holding a
// custom role, for the rule that nobody acts on someone more powerful.
type adminEnv struct {
	*rbacEnv
	received *eventLog
}

func newAdminEnv(t *testing.T, st store.Store) *adminEnv {
	t.Helper()
	received := &eventLog{}
	return &adminEnv{rbacEnv: newRBACEnv(t, st, usermgmt.WithEventHandler(received)), received: received}
}

// withRole registers email, gives it a new role holding perms and
// returns the user's id and access token.
func (e *adminEnv) withRole(t *testing.T, email string, perms ...string) (id, token string) {
	t.Helper()
	id = e.register(t, email)
	r := e.post(t, "/roles", map[string]any{"name": "r-" + id[len(id)-8:], "permissions": perms}, e2eBearer(e.admin)...)
	require.Equal(t, http.StatusCreated, r.Status, r.String())
	a := e.post(t, "/roles/user/"+id+"/assign", map[string]any{"roleId": r.JSON(t)["id"]}, e2eBearer(e.admin)...)
	require.Equal(t, http.StatusOK, a.Status, a.String())
	return id, e.login(t, email, e2ePassword).AccessToken
}

// advance moves the clock on and signs the admin in again, whose token
// the jump expired.
func (e *adminEnv) advance(t *testing.T, d time.Duration) {
	t.Helper()
	e.clock.Advance(d)
	e.admin = e.login(t, "admin@example.com", e2ePassword).AccessToken
}

// audits counts the audit rows of action on target with outcome.
func (e *adminEnv) audits(t *testing.T, action, target string, outcome store.Outcome) []store.AuditEntry {
	t.Helper()
	page, err := e.m.Store().Audit().List(context.Background(),
		store.AuditFilter{Action: action, TargetID: target, Outcome: outcome}, store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	return page.Items
}

// events returns the domain events named name about userID that the
// handlers received, oldest first, once the outbox delivered everything
// pending.
func (e *adminEnv) events(t *testing.T, name store.EventName, userID string) []map[string]any {
	t.Helper()
	e.drain(t)
	var out []map[string]any
	for _, ev := range e.received.of(userID) {
		if ev.Name == name {
			out = append(out, map[string]any{"actor": ev.ActorID, "impersonator": ev.ImpersonatorID, "payload": ev.Data})
		}
	}
	return out
}

// status reads a user's status from the store.
func (e *adminEnv) status(t *testing.T, id string) store.Status {
	t.Helper()
	u, err := e.m.Store().Users().ByID(context.Background(), id)
	require.NoError(t, err)
	return u.Status
}

// notices returns the types of the user's in-app notifications.
func (e *adminEnv) notices(t *testing.T, userID string) []string {
	t.Helper()
	page, err := e.m.Store().Notifications().List(context.Background(), userID, store.NotificationFilter{}, store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	var out []string
	for _, n := range page.Items {
		out = append(out, n.Type)
	}
	return out
}

// missingUser is a well-formed id no user has.
const missingUser = "01890a5d-ac96-774b-bcce-b302099a8057"

// e2eSoon is how long the tests wait for mail.
const e2eSoon = 5 * time.Second
