package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func roleCases() []testCase {
	return []testCase{
		{"BuiltInSeeded", testRoleBuiltInSeeded},
		{"CreateAndGet", testRoleCreateAndGet},
		{"NameTakenAnyCase", testRoleNameTaken},
		{"NotFound", testRoleNotFound},
		{"Update", testRoleUpdate},
		{"UpdateConflictAndNotFound", testRoleUpdateErrors},
		{"Delete", testRoleDelete},
		{"DeleteInUse", testRoleDeleteInUse},
		{"AssignAndUnassign", testRoleAssign},
		{"AssignMissing", testRoleAssignMissing},
		{"UnassignNotHeld", testRoleUnassignNotHeld},
		{"UnknownUserOrRole", testRoleUnknownQueries},
		{"LockSerialisesCheckThenChange", testRoleLock},
		{"UserCounts", testRoleUserCounts},
		{"UserCountsInTx", testRoleUserCountsInTx},
		{"NamesOf", testRoleNamesOf},
	}
}

// testRoleLock runs the last-holder rule twice at once: each transaction
// locks the role, counts its holders and removes one only if another
// remains. With the lock exactly one removal wins.
func testRoleLock(t *testing.T, st store.Store) {
	role := &store.Role{Name: "editor", Permissions: []string{"USER_READ"}, CreatedAt: base, UpdatedAt: base}
	require.NoError(t, st.Roles().Create(ctx(t), role))
	a, b := newUser(t, st, "a"), newUser(t, st, "b")
	for _, u := range []*store.User{a, b} {
		require.NoError(t, st.Roles().Assign(ctx(t), u.ID, role.ID, base))
	}
	errLast := errors.New("last holder")
	users := []*store.User{a, b}
	errs := parallel(2, func(i int) error {
		return st.InTx(ctx(t), func(tx store.Repos) error {
			if err := tx.Roles().Lock(ctx(t), role.ID); err != nil {
				return err
			}
			n, err := tx.Roles().CountUsers(ctx(t), role.ID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLast
			}
			return tx.Roles().Unassign(ctx(t), users[i].ID, role.ID)
		})
	})
	ok, refused := tally(t, errs, errLast)
	assert.Equal(t, 1, ok)
	assert.Equal(t, 1, refused)
	n, err := st.Roles().CountUsers(ctx(t), role.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	isErr(t, st.Roles().Lock(ctx(t), missingID), store.ErrRoleNotFound)
}

// testRoleUserCounts counts the holders of many roles at once: every id
// asked for is in the answer, unknown and malformed ones with 0.
func testRoleUserCounts(t *testing.T, st store.Store) {
	c := ctx(t)
	a, b, d := newUser(t, st, "ada"), newUser(t, st, "bob"), newUser(t, st, "dan")
	support, editor, empty := newRole(t, st, "support"), newRole(t, st, "editor"), newRole(t, st, "empty")
	for _, u := range []*store.User{a, b, d} {
		require.NoError(t, st.Roles().Assign(c, u.ID, support.ID, base))
	}
	require.NoError(t, st.Roles().Assign(c, a.ID, editor.ID, base))

	tests := []struct {
		name string
		ids  []string
		want map[string]int
	}{
		{"None", nil, map[string]int{}},
		{"One", []string{editor.ID}, map[string]int{editor.ID: 1}},
		{"Many", []string{support.ID, editor.ID, empty.ID},
			map[string]int{support.ID: 3, editor.ID: 1, empty.ID: 0}},
		{"UnknownAndMalformed", []string{support.ID, missingID, badID},
			map[string]int{support.ID: 3, missingID: 0, badID: 0}},
		{"Repeated", []string{editor.ID, editor.ID}, map[string]int{editor.ID: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.Roles().UserCounts(c, tc.ids)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("AgreesWithCountUsers", func(t *testing.T) {
		rs, err := st.Roles().List(c)
		require.NoError(t, err)
		ids := make([]string, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		got, err := st.Roles().UserCounts(c, ids)
		require.NoError(t, err)
		require.Len(t, got, len(rs))
		for _, r := range rs {
			n, err := st.Roles().CountUsers(c, r.ID)
			require.NoError(t, err)
			assert.Equal(t, n, got[r.ID], r.Name)
		}
	})
}

// testRoleUserCountsInTx asks inside a transaction, with a malformed id
// among the good ones: the transaction stays usable (PostgreSQL aborts a
// transaction on a refused statement) and sees its own assignment.
func testRoleUserCountsInTx(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	r := newRole(t, st, "support")
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		if err := tx.Roles().Assign(ctx(t), u.ID, r.ID, base); err != nil {
			return err
		}
		got, err := tx.Roles().UserCounts(ctx(t), []string{badID, r.ID})
		if err != nil {
			return err
		}
		assert.Equal(t, map[string]int{badID: 0, r.ID: 1}, got)
		_, err = tx.Roles().ByID(ctx(t), r.ID)
		return err
	})
	require.NoError(t, err)
}

// allPermissions is what the built-in admin role holds.
var allPermissions = []string{
	"ADMIN_ACCESS", "ADMIN_SETTINGS", "AUDIT_READ", "ROLE_ASSIGN", "ROLE_CREATE", "ROLE_DELETE", "ROLE_READ",
	"ROLE_UPDATE", "SYSTEM_MANAGE", "USER_CREATE", "USER_DELETE", "USER_MANAGE", "USER_READ", "USER_UPDATE",
}

func roleNames(rs []store.Role) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names
}

func newRole(t *testing.T, st store.Repos, name string, perms ...string) *store.Role {
	t.Helper()
	r := &store.Role{Name: name, Description: name + " role", Permissions: perms, CreatedAt: base, UpdatedAt: base}
	require.NoError(t, st.Roles().Create(ctx(t), r))
	require.NotEmpty(t, r.ID)
	return r
}

func testRoleBuiltInSeeded(t *testing.T, st store.Store) {
	rs, err := st.Roles().List(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, []string{store.RoleAdmin, store.RoleModerator, store.RoleUser}, roleNames(rs))
	want := map[string][]string{
		store.RoleAdmin:     allPermissions,
		store.RoleModerator: {"AUDIT_READ", "USER_READ", "USER_UPDATE"},
		store.RoleUser:      {},
	}
	for _, r := range rs {
		assert.True(t, r.BuiltIn, r.Name)
		assert.NotEmpty(t, r.ID, r.Name)
		assert.NotEmpty(t, r.Description, r.Name)
		assert.False(t, r.CreatedAt.IsZero(), r.Name)
		assert.Equal(t, want[r.Name], r.Permissions, r.Name)
		assert.NotNil(t, r.Permissions, "%s: an empty set is an empty slice", r.Name)
		byName, err := st.Roles().ByName(ctx(t), r.Name)
		require.NoError(t, err)
		assert.Equal(t, r.ID, byName.ID)
		byID, err := st.Roles().ByID(ctx(t), r.ID)
		require.NoError(t, err)
		assert.Equal(t, r.Name, byID.Name)
	}
}

func testRoleCreateAndGet(t *testing.T, st store.Store) {
	r := &store.Role{
		Name: "Support", Description: "helps users",
		Permissions: []string{"USER_READ", "AUDIT_READ", "USER_UPDATE"},
		CreatedAt:   base, UpdatedAt: base.Add(time.Second),
	}
	require.NoError(t, st.Roles().Create(ctx(t), r))
	_, err := uuid.Parse(r.ID)
	assert.NoError(t, err, "Create assigns a UUID")
	sorted := []string{"AUDIT_READ", "USER_READ", "USER_UPDATE"}

	got, err := st.Roles().ByID(ctx(t), r.ID)
	require.NoError(t, err)
	assert.Equal(t, r.ID, got.ID)
	assert.Equal(t, "Support", got.Name)
	assert.Equal(t, "helps users", got.Description)
	assert.Equal(t, sorted, got.Permissions, "permissions come back sorted")
	assert.False(t, got.BuiltIn)
	sameTime(t, base, got.CreatedAt)
	sameTime(t, base.Add(time.Second), got.UpdatedAt)

	for _, name := range caseVariants("support") {
		got, err := st.Roles().ByName(ctx(t), name)
		if assert.NoError(t, err, name) {
			assert.Equal(t, r.ID, got.ID, name)
		}
	}

	empty := newRole(t, st, "auditor")
	got, err = st.Roles().ByID(ctx(t), empty.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{}, got.Permissions, "no permissions is an empty slice")

	newRole(t, st, "Billing")
	rs, err := st.Roles().List(ctx(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"admin", "auditor", "Billing", "moderator", "Support", "user"}, roleNames(rs),
		"List orders by name ignoring case")
}

func testRoleNameTaken(t *testing.T, st store.Store) {
	newRole(t, st, "support")
	for _, name := range []string{"support", "SUPPORT", "Support", "ADMIN", "User"} {
		err := st.Roles().Create(ctx(t), &store.Role{Name: name, CreatedAt: base, UpdatedAt: base})
		isErr(t, err, store.ErrRoleExists, name)
		isErr(t, err, store.ErrConflict, name)
	}
	rs, err := st.Roles().List(ctx(t))
	require.NoError(t, err)
	assert.Len(t, rs, 4)
}

func testRoleNotFound(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID, ""} {
		_, err := st.Roles().ByID(ctx(t), id)
		isErr(t, err, store.ErrRoleNotFound, "ByID(%q)", id)
		isErr(t, err, store.ErrNotFound, "ByID(%q)", id)
	}
	for _, name := range []string{"superuser", "", "admi"} {
		_, err := st.Roles().ByName(ctx(t), name)
		isErr(t, err, store.ErrRoleNotFound, "ByName(%q)", name)
	}
}

func testRoleUpdate(t *testing.T, st store.Store) {
	r := newRole(t, st, "support", "USER_READ")
	other := newRole(t, st, "billing", "USER_READ")
	r.Name = "Helpdesk"
	r.Description = "first line"
	r.Permissions = []string{"USER_UPDATE", "AUDIT_READ"}
	r.UpdatedAt = base.Add(time.Hour)
	require.NoError(t, st.Roles().Update(ctx(t), r))

	got, err := st.Roles().ByID(ctx(t), r.ID)
	require.NoError(t, err)
	assert.Equal(t, "Helpdesk", got.Name)
	assert.Equal(t, "first line", got.Description)
	assert.Equal(t, []string{"AUDIT_READ", "USER_UPDATE"}, got.Permissions)
	sameTime(t, base, got.CreatedAt, "CreatedAt is not updated")
	sameTime(t, base.Add(time.Hour), got.UpdatedAt)
	_, err = st.Roles().ByName(ctx(t), "support")
	isErr(t, err, store.ErrRoleNotFound, "the old name is free")

	// Changing only the case of its own name is not a clash.
	got.Name = "HELPDESK"
	assert.NoError(t, st.Roles().Update(ctx(t), got))

	o, err := st.Roles().ByID(ctx(t), other.ID)
	require.NoError(t, err)
	assert.Equal(t, "billing", o.Name, "other roles untouched")
	assert.Equal(t, []string{"USER_READ"}, o.Permissions)
}

func testRoleUpdateErrors(t *testing.T, st store.Store) {
	r := newRole(t, st, "support")
	newRole(t, st, "billing")
	c := *r
	c.Name = "BILLING"
	isErr(t, st.Roles().Update(ctx(t), &c), store.ErrRoleExists)
	c.Name = "Admin"
	isErr(t, st.Roles().Update(ctx(t), &c), store.ErrRoleExists)
	got, err := st.Roles().ByID(ctx(t), r.ID)
	require.NoError(t, err)
	assert.Equal(t, "support", got.Name, "a refused update changes nothing")

	for _, id := range []string{missingID, badID} {
		err := st.Roles().Update(ctx(t), &store.Role{ID: id, Name: "ghost", UpdatedAt: base})
		isErr(t, err, store.ErrRoleNotFound, id)
	}
	_, err = st.Roles().ByName(ctx(t), "ghost")
	isErr(t, err, store.ErrRoleNotFound, "Update does not insert")
}

func testRoleDelete(t *testing.T, st store.Store) {
	r := newRole(t, st, "support")
	keep := newRole(t, st, "billing")
	require.NoError(t, st.Roles().Delete(ctx(t), r.ID))
	_, err := st.Roles().ByID(ctx(t), r.ID)
	isErr(t, err, store.ErrRoleNotFound)
	_, err = st.Roles().ByID(ctx(t), keep.ID)
	assert.NoError(t, err)
	for _, id := range []string{r.ID, missingID, badID} {
		isErr(t, st.Roles().Delete(ctx(t), id), store.ErrRoleNotFound, id)
	}
	// The name can be used again.
	newRole(t, st, "Support")
}

func testRoleDeleteInUse(t *testing.T, st store.Store) {
	r := newRole(t, st, "support")
	u := newUser(t, st, "ada")
	require.NoError(t, st.Roles().Assign(ctx(t), u.ID, r.ID, base))

	err := st.Roles().Delete(ctx(t), r.ID)
	isErr(t, err, store.ErrRoleInUse)
	isErr(t, err, store.ErrConflict)
	_, err = st.Roles().ByID(ctx(t), r.ID)
	require.NoError(t, err, "a role in use stays")
	held, err := st.Roles().RolesOf(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"support"}, roleNames(held), "and stays assigned")

	require.NoError(t, st.Roles().Unassign(ctx(t), u.ID, r.ID))
	require.NoError(t, st.Roles().Delete(ctx(t), r.ID))
}

func testRoleAssign(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	support := newRole(t, st, "support", "USER_READ")
	admin, err := st.Roles().ByName(ctx(t), store.RoleAdmin)
	require.NoError(t, err)
	c := ctx(t)

	held, err := st.Roles().RolesOf(c, u.ID)
	require.NoError(t, err)
	assert.Empty(t, held)

	require.NoError(t, st.Roles().Assign(c, u.ID, support.ID, base))
	require.NoError(t, st.Roles().Assign(c, u.ID, admin.ID, base))
	require.NoError(t, st.Roles().Assign(c, u.ID, admin.ID, base.Add(time.Hour)), "assigning a held role is not an error")
	require.NoError(t, st.Roles().Assign(c, b.ID, support.ID, base))

	held, err = st.Roles().RolesOf(c, u.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"admin", "support"}, roleNames(held), "RolesOf orders by name")
	if assert.Len(t, held, 2) {
		assert.Equal(t, allPermissions, held[0].Permissions)
		assert.True(t, held[0].BuiltIn)
		assert.Equal(t, []string{"USER_READ"}, held[1].Permissions)
	}

	for id, want := range map[string]int{support.ID: 2, admin.ID: 1} {
		n, err := st.Roles().CountUsers(c, id)
		require.NoError(t, err)
		assert.Equal(t, want, n, id)
	}

	require.NoError(t, st.Roles().Unassign(c, u.ID, support.ID))
	held, err = st.Roles().RolesOf(c, u.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"admin"}, roleNames(held))
	n, err := st.Roles().CountUsers(c, support.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	held, err = st.Roles().RolesOf(c, b.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"support"}, roleNames(held), "other users keep their roles")
}

func testRoleAssignMissing(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	r := newRole(t, st, "support")
	for _, id := range []string{missingID, badID} {
		err := st.Roles().Assign(ctx(t), id, r.ID, base)
		isErr(t, err, store.ErrUserNotFound, "user %q", id)
		err = st.Roles().Assign(ctx(t), u.ID, id, base)
		isErr(t, err, store.ErrRoleNotFound, "role %q", id)
	}
	n, err := st.Roles().CountUsers(ctx(t), r.ID)
	require.NoError(t, err)
	assert.Zero(t, n)
	held, err := st.Roles().RolesOf(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Empty(t, held)
}

func testRoleUnassignNotHeld(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	r := newRole(t, st, "support")
	isErr(t, st.Roles().Unassign(ctx(t), u.ID, r.ID), store.ErrRoleNotFound)
	require.NoError(t, st.Roles().Assign(ctx(t), u.ID, r.ID, base))
	require.NoError(t, st.Roles().Unassign(ctx(t), u.ID, r.ID))
	isErr(t, st.Roles().Unassign(ctx(t), u.ID, r.ID), store.ErrRoleNotFound, "twice")
	for _, id := range []string{missingID, badID} {
		isErr(t, st.Roles().Unassign(ctx(t), id, r.ID), store.ErrRoleNotFound, "user %q", id)
		isErr(t, st.Roles().Unassign(ctx(t), u.ID, id), store.ErrRoleNotFound, "role %q", id)
	}
}

func testRoleUnknownQueries(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		held, err := st.Roles().RolesOf(ctx(t), id)
		require.NoError(t, err, id)
		assert.Empty(t, held, id)
		n, err := st.Roles().CountUsers(ctx(t), id)
		require.NoError(t, err, id)
		assert.Zero(t, n, id)
	}
}
