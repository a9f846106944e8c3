package storetest

import (
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func bulkCases() []testCase {
	return []testCase{
		{"Targets", testBulkTargets},
		{"SetStatus", testBulkSetStatus},
		{"AssignRole", testBulkAssignRole},
		{"RevokeSessions", testBulkRevokeSessions},
		{"CountActiveHolders", testBulkCountActiveHolders},
		{"RecordAudit", testBulkRecordAudit},
		{"RollsBackWithTx", testBulkRollsBack},
		{"EachUser", testBulkEachUser},
		{"Taken", testBulkTaken},
		{"CreateUsers", testBulkCreateUsers},
		{"AppendEvents", testBulkAppendEvents},
	}
}

func testBulkTargets(t *testing.T, st store.Store) {
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	role := newRole(t, st, "auditor", "AUDIT_READ")
	require.NoError(t, st.Roles().Assign(ctx(t), ada.ID, role.ID, base))
	_, err := st.Users().Update(ctx(t), bob.ID, func(u *store.User) error { u.Status = store.StatusLocked; return nil })
	require.NoError(t, err)

	got, err := st.Bulk().Targets(ctx(t), []string{ada.ID, bob.ID, ada.ID, missingID, badID})
	require.NoError(t, err)
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	want := []store.BulkTarget{
		{ID: ada.ID, Status: store.StatusActive, RoleIDs: []string{role.ID}},
		{ID: bob.ID, Status: store.StatusLocked},
	}
	sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
	assert.Equal(t, want, got)

	none, err := st.Bulk().Targets(ctx(t), []string{badID})
	require.NoError(t, err)
	assert.Empty(t, none)
}

func testBulkSetStatus(t *testing.T, st store.Store) {
	ada, bob, cy := newUser(t, st, "ada"), newUser(t, st, "bob"), newUser(t, st, "cy")
	_, err := st.Users().Update(ctx(t), bob.ID, func(u *store.User) error {
		u.Status, u.SuspendedReason, u.SuspendedUntil = store.StatusSuspended, "spam", ptr(base.Add(time.Hour))
		return nil
	})
	require.NoError(t, err)
	rec := &recorder{}
	defer st.Subscribe(rec.add)()

	at, purge := base.Add(time.Minute), base.Add(30*24*time.Hour)
	n, err := st.Bulk().SetStatus(ctx(t), []string{ada.ID, bob.ID, missingID, badID},
		store.StatusChange{Status: store.StatusDeleted, At: at, PurgeAfter: &purge})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.ElementsMatch(t, []store.Change{{Kind: store.UserChanged, UserID: ada.ID}, {Kind: store.UserChanged, UserID: bob.ID}}, rec.take())

	got, err := st.Users().ByID(ctx(t), bob.ID)
	require.NoError(t, err)
	assert.Equal(t, store.StatusDeleted, got.Status)
	sameTimePtr(t, &at, got.DeletedAt)
	sameTimePtr(t, &purge, got.PurgeAfter)
	sameTime(t, at, got.UpdatedAt)
	assert.Empty(t, got.SuspendedReason)
	assert.Nil(t, got.SuspendedUntil)

	n, err = st.Bulk().SetStatus(ctx(t), []string{bob.ID}, store.StatusChange{Status: store.StatusActive, At: at})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got, err = st.Users().ByID(ctx(t), bob.ID)
	require.NoError(t, err)
	assert.Equal(t, store.StatusActive, got.Status)
	assert.Nil(t, got.DeletedAt)
	assert.Nil(t, got.PurgeAfter)

	untouched, err := st.Users().ByID(ctx(t), cy.ID)
	require.NoError(t, err)
	assert.Equal(t, store.StatusActive, untouched.Status)
}

func testBulkAssignRole(t *testing.T, st store.Store) {
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	role := newRole(t, st, "auditor", "AUDIT_READ")
	require.NoError(t, st.Roles().Assign(ctx(t), ada.ID, role.ID, base))
	rec := &recorder{}
	defer st.Subscribe(rec.add)()

	n, err := st.Bulk().AssignRole(ctx(t), []string{ada.ID, bob.ID, missingID, badID}, role.ID, base)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only bob lacked it")
	assert.Equal(t, []store.Change{{Kind: store.UserChanged, UserID: bob.ID}}, rec.take())
	count, err := st.Roles().CountUsers(ctx(t), role.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, count)

	for _, id := range []string{missingID, badID} {
		_, err = st.Bulk().AssignRole(ctx(t), []string{bob.ID}, id, base)
		isErr(t, err, store.ErrRoleNotFound, id)
	}
}

func testBulkRevokeSessions(t *testing.T, st store.Store) {
	ada, bob, cy := newUser(t, st, "ada"), newUser(t, st, "bob"), newUser(t, st, "cy")
	newSession(t, st, ada.ID, base, time.Hour)
	newSession(t, st, ada.ID, base, time.Hour)
	expired := newSession(t, st, bob.ID, base.Add(-2*time.Hour), time.Hour)
	kept := newSession(t, st, cy.ID, base, time.Hour)
	rec := &recorder{}
	defer st.Subscribe(rec.add)()

	n, err := st.Bulk().RevokeSessions(ctx(t), []string{ada.ID, bob.ID, badID}, base.Add(time.Minute), "admin")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, []store.Change{{Kind: store.UserSessionsRevoked, UserID: ada.ID}}, rec.take())
	for _, s := range []*store.Session{expired, kept} {
		got, err := st.Sessions().ByID(ctx(t), s.ID)
		require.NoError(t, err)
		assert.Nil(t, got.RevokedAt, "expired or not in the set")
	}
	again, err := st.Bulk().RevokeSessions(ctx(t), []string{ada.ID}, base.Add(2*time.Minute), "admin")
	require.NoError(t, err)
	assert.Zero(t, again)
}

func testBulkCountActiveHolders(t *testing.T, st store.Store) {
	role := newRole(t, st, "auditor", "AUDIT_READ")
	var ids []string
	for _, name := range []string{"ada", "bob", "cy"} {
		u := newUser(t, st, name)
		require.NoError(t, st.Roles().Assign(ctx(t), u.ID, role.ID, base))
		ids = append(ids, u.ID)
	}
	_, err := st.Users().Update(ctx(t), ids[2], func(u *store.User) error { u.Status = store.StatusDeactivated; return nil })
	require.NoError(t, err)
	tests := []struct {
		name   string
		except []string
		want   int
	}{
		{"OnlyActiveCount", nil, 2},
		{"Except", []string{ids[0], badID}, 1},
		{"ExceptAll", ids, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := st.Bulk().CountActiveHolders(ctx(t), role.ID, tc.except)
			require.NoError(t, err)
			assert.Equal(t, tc.want, n)
		})
	}
}

func testBulkRecordAudit(t *testing.T, st store.Store) {
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	entries := []store.AuditEntry{
		{ActorID: ada.ID, Action: "admin.bulk.deactivate", TargetID: bob.ID, Outcome: store.OutcomeSuccess, CreatedAt: base, Metadata: map[string]string{"n": "1"}},
		{ActorID: ada.ID, Action: "admin.bulk.deactivate", TargetID: ada.ID, Outcome: store.OutcomeDenied, CreatedAt: base},
	}
	require.NoError(t, st.Bulk().RecordAudit(ctx(t), entries))
	got, err := listAudit(t, st, store.AuditFilter{ActorID: ada.ID})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.ElementsMatch(t, []string{entries[0].ID, entries[1].ID}, entryIDs(got))
	for _, e := range got {
		if e.ID == entries[0].ID {
			assert.Equal(t, bob.ID, e.TargetID)
			assert.Equal(t, map[string]string{"n": "1"}, e.Metadata)
		}
	}
	require.NoError(t, st.Bulk().RecordAudit(ctx(t), nil))
}

func testBulkRollsBack(t *testing.T, st store.Store) {
	ada := newUser(t, st, "ada")
	newSession(t, st, ada.ID, base, time.Hour)
	rec := &recorder{}
	defer st.Subscribe(rec.add)()
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		if _, err := tx.Bulk().SetStatus(ctx(t), []string{ada.ID}, store.StatusChange{Status: store.StatusDeactivated, At: base}); err != nil {
			return err
		}
		if _, err := tx.Bulk().RevokeSessions(ctx(t), []string{ada.ID}, base, "admin"); err != nil {
			return err
		}
		return store.ErrConflict
	})
	isErr(t, err, store.ErrConflict)
	assert.Empty(t, rec.take(), "nothing is announced for a rollback")
	got, err := st.Users().ByID(ctx(t), ada.ID)
	require.NoError(t, err)
	assert.Equal(t, store.StatusActive, got.Status)
}

func testBulkEachUser(t *testing.T, st store.Store) {
	role := newRole(t, st, "auditor", "AUDIT_READ")
	var ids []string
	for i, name := range []string{"ada", "bob", "cy"} {
		at := base.Add(time.Duration(2-i) * time.Hour) // cy oldest
		u := &store.User{Email: name + "@example.com", Username: name, Status: store.StatusActive,
			Visibility: store.VisibilityPublic, Preferences: store.DefaultPreferences(), CreatedAt: at, UpdatedAt: at}
		require.NoError(t, st.Users().Create(ctx(t), u))
		ids = append(ids, u.ID)
	}
	require.NoError(t, st.Roles().Assign(ctx(t), ids[0], role.ID, base))
	userRole, err := st.Roles().ByName(ctx(t), store.RoleUser)
	require.NoError(t, err)
	require.NoError(t, st.Roles().Assign(ctx(t), ids[0], userRole.ID, base))

	type seen struct {
		email string
		roles []string
	}
	walk := func(f store.UserFilter) []seen {
		var out []seen
		require.NoError(t, st.Bulk().EachUser(ctx(t), f, func(u *store.UserSummary) error {
			roles := append([]string(nil), u.RoleIDs...)
			sort.Strings(roles)
			out = append(out, seen{u.Email, roles})
			return nil
		}))
		return out
	}
	adaRoles := []string{role.ID, userRole.ID}
	sort.Strings(adaRoles)
	assert.Equal(t, []seen{{"cy@example.com", nil}, {"bob@example.com", nil}, {"ada@example.com", adaRoles}}, walk(store.UserFilter{}), "oldest first")
	assert.Equal(t, []seen{{"ada@example.com", adaRoles}}, walk(store.UserFilter{Role: "AUDITOR"}))
	assert.Equal(t, []seen{{"bob@example.com", nil}}, walk(store.UserFilter{Q: "bo"}))
	assert.Empty(t, walk(store.UserFilter{Status: store.StatusSuspended}))

	stop := errors.New("stop")
	calls := 0
	err = st.Bulk().EachUser(ctx(t), store.UserFilter{}, func(*store.UserSummary) error { calls++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls, "an error from fn ends the walk")
}

func testBulkTaken(t *testing.T, st store.Store) {
	newUser(t, st, "ada")
	emails, names, err := st.Bulk().Taken(ctx(t), []string{"ADA@example.com", "bob@example.com", ""}, []string{"Ada", "bob"})
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"ada@example.com": true}, emails)
	assert.Equal(t, map[string]bool{"ada": true}, names)
	emails, names, err = st.Bulk().Taken(ctx(t), nil, nil)
	require.NoError(t, err)
	assert.Empty(t, emails)
	assert.Empty(t, names)
}

func importedUser(email, username, hash string, roleIDs ...string) store.ImportedUser {
	return store.ImportedUser{User: store.User{Email: email, Username: username, PasswordHash: hash,
		Status: store.StatusActive, Visibility: store.VisibilityPublic, Preferences: store.DefaultPreferences(),
		CreatedAt: base, UpdatedAt: base}, RoleIDs: roleIDs}
}

func testBulkCreateUsers(t *testing.T, st store.Store) {
	newUser(t, st, "ada")
	role := newRole(t, st, "auditor", "AUDIT_READ")
	in := []store.ImportedUser{
		importedUser("bob@example.com", "bob", "$2a$10$hash", role.ID),
		importedUser("ADA@example.com", "", ""),   // taken email: skipped
		importedUser("cy@example.com", "ADA", ""), // taken username: skipped
		importedUser("di@example.com", "", ""),
	}
	created, err := st.Bulk().CreateUsers(ctx(t), in)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{in[0].User.ID, in[3].User.ID}, created)
	bob, err := st.Users().ByEmail(ctx(t), "bob@example.com")
	require.NoError(t, err)
	assert.Equal(t, "$2a$10$hash", bob.PasswordHash)
	roles, err := st.Roles().RolesOf(ctx(t), bob.ID)
	require.NoError(t, err)
	require.Len(t, roles, 1)
	assert.Equal(t, role.ID, roles[0].ID)
	hist, err := st.Users().PasswordHistory(ctx(t), bob.ID, 5)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	_, err = st.Users().ByEmail(ctx(t), "cy@example.com")
	isErr(t, err, store.ErrUserNotFound)

	none, err := st.Bulk().CreateUsers(ctx(t), nil)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func testBulkAppendEvents(t *testing.T, st store.Store) {
	ada := newUser(t, st, "ada")
	events := []store.Event{
		{Name: store.EventUserCreated, UserID: ada.ID, Payload: map[string]any{"source": "import"}, OccurredAt: base},
		{Name: store.EventUserCreated, UserID: ada.ID, OccurredAt: base},
	}
	require.NoError(t, st.InTx(ctx(t), func(tx store.Repos) error { return tx.Bulk().AppendEvents(ctx(t), events) }))
	assert.NotEmpty(t, events[0].ID)
	assert.NotEqual(t, events[0].ID, events[1].ID)
	require.NoError(t, st.Bulk().AppendEvents(ctx(t), nil))
}
