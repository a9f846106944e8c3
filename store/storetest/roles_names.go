package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

// testRoleNamesOf checks the role names of many users at once, in the
// order RolesOf gives, with every id asked for present.
func testRoleNamesOf(t *testing.T, st store.Store) {
	c := ctx(t)
	a, b, d := newUser(t, st, "ada"), newUser(t, st, "bob"), newUser(t, st, "dan")
	zeta, alpha := newRole(t, st, "Zeta"), newRole(t, st, "alpha")
	for _, as := range []struct{ u, r string }{{a.ID, zeta.ID}, {a.ID, alpha.ID}, {b.ID, zeta.ID}} {
		require.NoError(t, st.Roles().Assign(c, as.u, as.r, base))
	}
	tests := []struct {
		name string
		ids  []string
		want map[string][]string
	}{
		{"None", nil, map[string][]string{}},
		{"OrderedIgnoringCase", []string{a.ID}, map[string][]string{a.ID: {"alpha", "Zeta"}}},
		{"Many", []string{a.ID, b.ID, d.ID}, map[string][]string{a.ID: {"alpha", "Zeta"}, b.ID: {"Zeta"}, d.ID: {}}},
		{"UnknownAndMalformed", []string{b.ID, missingID, badID}, map[string][]string{b.ID: {"Zeta"}, missingID: {}, badID: {}}},
		{"Repeated", []string{b.ID, b.ID}, map[string][]string{b.ID: {"Zeta"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.Roles().NamesOf(c, tc.ids)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("AgreesWithRolesOf", func(t *testing.T) {
		got, err := st.Roles().NamesOf(c, []string{a.ID})
		require.NoError(t, err)
		held, err := st.Roles().RolesOf(c, a.ID)
		require.NoError(t, err)
		names := make([]string, len(held))
		for i, r := range held {
			names[i] = r.Name
		}
		assert.Equal(t, names, got[a.ID])
	})
}
