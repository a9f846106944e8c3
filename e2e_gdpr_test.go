package usermgmt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

const (
	gdprEmail = "augusta.king@example.com"
	gdprIP    = "198.51.100.77"
	gdprAgent = "GDPRTestAgent/1.0"
)

// gdprUser signs a user up with a name, fails a login (a lock-out record
// naming the email), asks for a reset (a one-time token and a per-address
// window), signs in from gdprIP, and leaves a notification, password
// history and an avatar row. It returns the id and the access token.
func gdprUser(t *testing.T, e *e2eEnv) (string, string) {
	t.Helper()
	hdr := []string{"X-Forwarded-For", gdprIP, "User-Agent", gdprAgent}
	r := e.post(t, "/auth/register", map[string]any{"email": gdprEmail, "password": e2ePassword,
		"username": "lovelace", "firstName": "Augusta", "lastName": "Byronic"}, hdr...)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r)
	id := r.JSON(t)["id"].(string)
	r = e.post(t, "/auth/login", map[string]any{"identifier": gdprEmail, "password": "wrong password here"}, hdr...)
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r)
	r = e.post(t, "/auth/forgot-password", map[string]any{"email": gdprEmail}, hdr...)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r)
	tk := e.login(t, "lovelace", e2ePassword, hdr...)
	ctx := context.Background()
	st := e.m.Store()
	require.NoError(t, st.Notifications().Create(ctx, &store.Notification{UserID: id, Type: "welcome",
		Title: "Hello Augusta", Body: "Welcome, " + gdprEmail, CreatedAt: e.clock.Now()}))
	require.NoError(t, st.Users().AddPasswordHistory(ctx, store.PasswordHistoryEntry{UserID: id, Hash: "$2a$04$old", CreatedAt: e.clock.Now()}))
	_, err := st.Avatars().Put(ctx, &store.Avatar{UserID: id, ContentType: "image/png", Size: 1, Width: 1, Height: 1, CreatedAt: e.clock.Now()})
	require.NoError(t, err)
	// An admin's change recorded the old address in metadata.
	require.NoError(t, st.Audit().Record(ctx, &store.AuditEntry{Action: "user.email_change", TargetID: id,
		Outcome: store.OutcomeSuccess, Metadata: map[string]string{"old_email": "a.byron@example.org", "note": "was Augusta Byronic"}}))
	return id, tk.AccessToken
}

// textColumns lists every table's columns from the catalog.
func textColumns(t *testing.T, st *bunstore.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	var rows []struct {
		Table  string `bun:"t"`
		Column string `bun:"c"`
	}
	var err error
	if st.DB().Dialect().Name().String() == "pg" {
		err = st.DB().NewRaw(`SELECT table_name AS t, column_name AS c FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'uuid', 'json', 'jsonb')`).Scan(ctx, &rows)
	} else {
		err = st.DB().NewRaw(`SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND upper(p.type) IN ('TEXT', '')`).Scan(ctx, &rows)
	}
	require.NoError(t, err)
	for _, r := range rows {
		out[r.Table] = append(out[r.Table], r.Column)
	}
	require.Contains(t, out, "users")
	require.Contains(t, out, "audit_log")
	return out
}

// findText returns "table.column" for every column holding needle.
func findText(t *testing.T, st *bunstore.Store, cols map[string][]string, needle string) []string {
	t.Helper()
	var hits []string
	for table, cs := range cols {
		for _, c := range cs {
			n, err := st.DB().NewSelect().TableExpr(table).
				Where("lower(CAST(? AS TEXT)) LIKE ?", bun.Ident(c), "%"+strings.ToLower(needle)+"%").Count(context.Background())
			require.NoError(t, err, "%s.%s", table, c)
			if n > 0 {
				hits = append(hits, fmt.Sprintf("%s.%s (%d)", table, c, n))
			}
		}
	}
	return hits
}

func TestE2EGDPRErase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newE2E(t, st, usermgmt.WithTrustedProxies("127.0.0.1/32", "::1/128"))
		id, _ := gdprUser(t, e)
		other := e.register(t, "other@example.com")
		ctx := context.Background()
		before, err := st.Audit().Count(ctx, store.AuditFilter{UserID: id})
		require.NoError(t, err)
		require.Positive(t, before)
		cols := textColumns(t, st)
		require.NotEmpty(t, findText(t, st, cols, gdprEmail), "the fixture leaves the email somewhere")

		asUser := store.NewContextWithActor(ctx, store.Actor{UserID: id})
		assert.ErrorIs(t, e.m.GDPR().Erase(store.NewContextWithActor(ctx, store.Actor{UserID: other}), id),
			store.ErrPermissionDenied, "another user without USER_DELETE")
		require.NoError(t, e.m.GDPR().Erase(asUser, id))
		// The erasure's own user.deleted event names the user by id until
		// it is delivered (and deleted).
		_, err = e.m.Outbox().Deliver(ctx)
		require.NoError(t, err)

		for _, needle := range []string{gdprEmail, "a.byron@example.org", "Augusta", "Byronic", "lovelace", gdprAgent, id} {
			assert.Empty(t, findText(t, st, cols, needle), "%q is left after erasure", needle)
		}
		// The IP survives only in the per-IP rate-limit windows, which are
		// not the user's (everyone behind the address shares them) and
		// expire; README: What erasure keeps and why.
		for _, hit := range findText(t, st, cols, gdprIP) {
			assert.True(t, strings.HasPrefix(hit, "rate_limits.key"), "IP left in %s", hit)
		}

		erased, err := st.Audit().List(ctx, store.AuditFilter{Action: "gdpr.erase"}, store.ListRequest{})
		require.NoError(t, err)
		require.Len(t, erased.Items, 1)
		pseudo := erased.Items[0].TargetID
		assert.NotEqual(t, id, pseudo)
		assert.Equal(t, pseudo, erased.Items[0].ActorID, "the user erasing themself is named by the pseudonym")
		after, err := st.Audit().Count(ctx, store.AuditFilter{UserID: pseudo})
		require.NoError(t, err)
		assert.Equal(t, before+1, after, "every entry stays, under one pseudonym")

		_, err = st.Users().ByID(ctx, other)
		assert.NoError(t, err, "other users stay")
		assert.ErrorIs(t, e.m.GDPR().Erase(store.NewContextWithActor(ctx, store.SystemActor), id), store.ErrUserNotFound)
		r := e.post(t, "/auth/login", map[string]any{"identifier": gdprEmail, "password": e2ePassword})
		assert.Equal(t, http.StatusUnauthorized, r.Status, "%s", r)
	})
}

func TestE2EGDPREraseLastAdmin(t *testing.T) {
	e := newE2E(t, nil)
	id := e.register(t, "boss@example.com")
	ctx := store.NewContextWithActor(context.Background(), store.SystemActor)
	admin, err := e.m.Store().Roles().ByName(ctx, store.RoleAdmin)
	require.NoError(t, err)
	_, err = e.m.RBAC().Assign(ctx, id, admin.ID)
	require.NoError(t, err)

	err = e.m.GDPR().Erase(ctx, id)
	assert.ErrorIs(t, err, store.ErrLastAdmin)
	assert.Equal(t, 422, store.AsError(err).Status)
	_, err = e.m.Store().Users().ByID(ctx, id)
	assert.NoError(t, err, "nothing erased")

	second := e.register(t, "deputy@example.com")
	_, err = e.m.RBAC().Assign(ctx, second, admin.ID)
	require.NoError(t, err)
	require.NoError(t, e.m.GDPR().Erase(ctx, id), "with another admin left")
}

// softDelete marks users deleted with a purge time before now.
func softDelete(t *testing.T, st store.Store, now time.Time, n int) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	purge := now.Add(-time.Minute)
	for i := range ids {
		u := &store.User{Email: fmt.Sprintf("gone%04d@example.com", i), Status: store.StatusDeleted,
			DeletedAt: &purge, PurgeAfter: &purge, Preferences: store.DefaultPreferences()}
		require.NoError(t, st.Users().Create(ctx, u))
		require.NoError(t, st.Audit().Record(ctx, &store.AuditEntry{ActorID: u.ID, Action: "account.delete",
			Outcome: store.OutcomeSuccess, IP: gdprIP}))
		ids[i] = u.ID
	}
	return ids
}

func TestE2EGDPRPurgeRun(t *testing.T) {
	e := newE2E(t, nil, usermgmt.WithCleanupInterval(time.Hour))
	st := e.m.Store()
	ids := softDelete(t, st, e.clock.Now(), 3)
	future := e.clock.Now().Add(time.Hour)
	keep := &store.User{Email: "later@example.com", Status: store.StatusDeleted, DeletedAt: &future,
		PurgeAfter: &future, Preferences: store.DefaultPreferences()}
	require.NoError(t, st.Users().Create(context.Background(), keep))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.m.Run(ctx) }()
	require.Eventually(t, func() bool {
		n, err := st.Audit().Count(context.Background(), store.AuditFilter{Action: "gdpr.erase"})
		return err == nil && n == len(ids)
	}, 10*time.Second, 20*time.Millisecond, "Run purges at start")
	cancel()
	require.NoError(t, <-done)
	for _, id := range ids {
		_, err := st.Users().ByID(context.Background(), id)
		assert.ErrorIs(t, err, store.ErrUserNotFound)
	}
	_, err := st.Users().ByID(context.Background(), keep.ID)
	assert.NoError(t, err, "not due yet")
}

// TestE2EGDPRPurgeConcurrent purges from two Managers on one PostgreSQL
// at once: each account is erased exactly once and none is left.
func TestE2EGDPRPurgeConcurrent(t *testing.T) {
	st := dbtest.Postgres(t)
	st2, err := bunstore.Open(context.Background(), dsnOf(t, st))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st2.Close() })
	now := time.Now().UTC()
	const n = 300
	ids := softDelete(t, st, now, n)
	var managers []*usermgmt.Manager
	for _, s := range []store.Store{st, st2} {
		m, err := usermgmt.New(s, usermgmt.WithClock(func() time.Time { return now }))
		require.NoError(t, err)
		managers = append(managers, m)
	}
	var wg sync.WaitGroup
	counts := make([]int, len(managers)*2)
	errs := make([]error, len(counts))
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = managers[i%2].GDPR().Purge(context.Background())
		}()
	}
	wg.Wait()
	total := 0
	for i := range counts {
		require.NoError(t, errs[i])
		total += counts[i]
	}
	assert.Equal(t, n, total, "purges report each erasure once: %v", counts)
	erasures, err := st.Audit().Count(context.Background(), store.AuditFilter{Action: "gdpr.erase"})
	require.NoError(t, err)
	assert.Equal(t, n, erasures, "one gdpr.erase row per account")
	left, err := st.Users().List(context.Background(), store.UserFilter{Status: store.StatusDeleted}, store.ListRequest{IncludeTotal: true})
	require.NoError(t, err)
	assert.Zero(t, *left.Total, "none left")
	assert.Len(t, ids, n)
}

func TestE2EGDPRExport(t *testing.T) {
	e := newE2E(t, nil, usermgmt.WithTrustedProxies("127.0.0.1/32", "::1/128"))
	id, access := gdprUser(t, e)
	ctx := store.NewContextWithActor(context.Background(), store.SystemActor)
	user, err := e.m.Store().Roles().ByName(ctx, store.RoleUser)
	require.NoError(t, err)
	_, _ = e.m.RBAC().Assign(ctx, id, user.ID)

	r := e.get(t, "/account/export", e2eBearer(access)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, `attachment; filename="account-export.json"`, r.Header.Get("Content-Disposition"))
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var doc struct {
		ExportedAt    time.Time        `json:"exportedAt"`
		Profile       map[string]any   `json:"profile"`
		Preferences   map[string]any   `json:"preferences"`
		Roles         []map[string]any `json:"roles"`
		TwoFactor     map[string]any   `json:"twoFactor"`
		Sessions      []map[string]any `json:"sessions"`
		Notifications []map[string]any `json:"notifications"`
		AuditTrail    []map[string]any `json:"auditTrail"`
	}
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&doc), "%s", r.Body)

	assert.Equal(t, id, doc.Profile["id"])
	assert.Equal(t, gdprEmail, doc.Profile["email"])
	assert.Equal(t, "lovelace", doc.Profile["username"])
	assert.Equal(t, "Augusta", doc.Profile["firstName"])
	assert.Equal(t, "Byronic", doc.Profile["lastName"])
	assert.Nil(t, doc.Profile["phoneNumber"])
	assert.Equal(t, "active", doc.Profile["status"])
	assert.Equal(t, map[string]any{"language": "en", "timezone": "UTC", "theme": "system",
		"notifications": map[string]any{"email": true, "inApp": true, "securityAlerts": true}}, doc.Preferences)
	require.Len(t, doc.Roles, 1)
	assert.Equal(t, "user", doc.Roles[0]["name"])
	assert.Equal(t, map[string]any{"enabled": false, "method": nil, "backupCodesRemaining": float64(0)}, doc.TwoFactor)
	require.Len(t, doc.Sessions, 1)
	assert.Equal(t, gdprIP, doc.Sessions[0]["ip"])
	assert.Equal(t, gdprAgent, doc.Sessions[0]["userAgent"])
	require.Len(t, doc.Notifications, 1)
	assert.Equal(t, "Hello Augusta", doc.Notifications[0]["title"])

	actions := map[string]map[string]any{}
	for _, a := range doc.AuditTrail {
		actions[a["action"].(string)] = a
	}
	require.Contains(t, actions, "auth.register")
	require.Contains(t, actions, "user.email_change")
	require.Contains(t, actions, "gdpr.export", "the export is itself audited")
	assert.Equal(t, gdprIP, actions["auth.register"]["ip"], "the user's own IP")
	assert.Nil(t, actions["user.email_change"]["ip"], "not the user's")
	n, err := e.m.Store().Audit().Count(ctx, store.AuditFilter{UserID: id})
	require.NoError(t, err)
	assert.Len(t, doc.AuditTrail, n, "the whole trail")
	for i := 1; i < len(doc.AuditTrail); i++ {
		prev, err := time.Parse(time.RFC3339Nano, doc.AuditTrail[i-1]["createdAt"].(string))
		require.NoError(t, err)
		cur, err := time.Parse(time.RFC3339Nano, doc.AuditTrail[i]["createdAt"].(string))
		require.NoError(t, err)
		assert.False(t, cur.Before(prev), "oldest first")
	}

	u, err := e.m.Store().Users().ByID(ctx, id)
	require.NoError(t, err)
	body := string(r.Body)
	for _, secret := range []string{u.PasswordHash, "$2a$", "passwordHash", "secret", "hash", "fingerprint", "$2a$04$old"} {
		assert.NotContains(t, strings.ToLower(body), strings.ToLower(secret), "no secret or hash")
	}

	r = e.get(t, "/account/export")
	e2eCheckProblem(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
	assert.ErrorIs(t, e.m.GDPR().Export(store.NewContextWithActor(ctx, store.Actor{UserID: "someone-else"}), id, new(strings.Builder)),
		store.ErrPermissionDenied)
}

// dsnOf returns a DSN that opens another connection pool on st's schema,
// as a second instance would.
func dsnOf(t *testing.T, st *bunstore.Store) string {
	t.Helper()
	var schema string
	require.NoError(t, st.DB().NewRaw("SELECT current_schema()").Scan(context.Background(), &schema))
	return dbtest.WithSearchPath(dbtest.PostgresDSN(t), schema)
}
