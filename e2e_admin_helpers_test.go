package usermgmt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// adminEnv is an rbacEnv with one more signed-in account holding a
// custom role, for the rule that nobody acts on someone more powerful.
type adminEnv struct {
	*rbacEnv
}

func newAdminEnv(t *testing.T, st store.Store) *adminEnv {
	t.Helper()
	return &adminEnv{rbacEnv: newRBACEnv(t, st)}
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

// outboxEvent is a row of the outbox, read back for the checks.
type outboxEvent struct {
	Name           string `bun:"name"`
	UserID         string `bun:"user_id"`
	ActorID        string `bun:"actor_id"`
	ImpersonatorID string `bun:"impersonator_id"`
	Payload        string `bun:"payload"`
}

// events returns the outbox events named name about userID, oldest first.
func (e *adminEnv) events(t *testing.T, name store.EventName, userID string) []map[string]any {
	t.Helper()
	db := e.m.Store().(*bunstore.Store).DB()
	var rows []outboxEvent
	require.NoError(t, db.NewSelect().Table("outbox_events").Column("name", "user_id", "actor_id", "impersonator_id", "payload").
		Where("name = ? AND user_id = ?", string(name), userID).OrderExpr("id").Scan(context.Background(), &rows))
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		var p map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.Payload), &p), r.Payload)
		out[i] = map[string]any{"actor": r.ActorID, "impersonator": r.ImpersonatorID, "payload": p}
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
