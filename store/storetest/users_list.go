package storetest

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func userListCases() []testCase {
	return []testCase{
		{"Sorts", testUserListSorts},
		{"Filters", testUserListFilters},
		{"Fields", testUserListFields},
		{"SearchFollowsChanges", testUserSearchFollowsChanges},
	}
}

// userListFixture creates users with ties in every sort key: equal
// creation and login times, equal names in different letter cases, users
// without a username or a login. Emails and usernames start with distinct
// letters so that byte order and any database collation agree.
func userListFixture(t *testing.T, st store.Store) []*store.User {
	t.Helper()
	at := func(m int) *time.Time { v := base.Add(time.Duration(m) * time.Minute); return &v }
	specs := []store.User{
		{Email: "ada@example.com", Username: "Zed", FirstName: "Ada", LastName: "Lovelace", CreatedAt: base, LastLoginAt: at(30), EmailVerified: true},
		{Email: "Bob@example.com", FirstName: "Bob", LastName: "Byron", CreatedAt: base, LastLoginAt: at(30), TwoFactorEnabled: true, TwoFactorMethod: "totp"},
		{Email: "carol@example.com", Username: "yan", FirstName: "ada", LastName: "lovelace", CreatedAt: base.Add(time.Minute), Status: store.StatusSuspended},
		{Email: "dan@example.org", CreatedAt: base.Add(time.Minute), EmailVerified: true},
		{Email: "eve@example.com", Username: "Xia", FirstName: "Ada", LastName: "Lovelace", DisplayName: "Countess", CreatedAt: base.Add(time.Minute), LastLoginAt: at(10), EmailVerified: true, TwoFactorEnabled: true, TwoFactorMethod: "email"},
		{Email: "fay@example.com", Username: "h_l", FirstName: "Cy", LastName: "Young", CreatedAt: base.Add(2 * time.Minute), LastLoginAt: at(20)},
		{Email: "gus@example.com", Username: "wu", CreatedAt: base.Add(3 * time.Minute)},
		{Email: "hal@example.com", FirstName: "Bob", LastName: "Byron", CreatedAt: base.Add(3 * time.Minute), LastLoginAt: at(10), Status: store.StatusDeleted},
	}
	var out []*store.User
	for i := range specs {
		u := specs[i]
		u.PasswordHash = "$2a$12$x"
		if u.Status == "" {
			u.Status = store.StatusActive
		}
		u.Visibility, u.Preferences, u.UpdatedAt = store.VisibilityPublic, store.DefaultPreferences(), u.CreatedAt
		require.NoError(t, st.Users().Create(ctx(t), &u))
		out = append(out, &u)
	}
	mod, err := st.Roles().ByName(ctx(t), store.RoleModerator)
	require.NoError(t, err)
	for _, i := range []int{1, 4} {
		require.NoError(t, st.Roles().Assign(ctx(t), out[i].ID, mod.ID, base))
	}
	return out
}

// userOrder returns the ids of us ordered by key ascending (or descending
// when desc), ties by id in the same direction, users without a key
// (nil) last either way.
func userOrder(us []*store.User, desc bool, key func(*store.User) *string) []string {
	s := append([]*store.User(nil), us...)
	sort.SliceStable(s, func(i, j int) bool {
		ki, kj := key(s[i]), key(s[j])
		switch {
		case ki == nil && kj == nil:
		case ki == nil:
			return false
		case kj == nil:
			return true
		case *ki != *kj:
			return (*ki < *kj) != desc
		}
		return (s[i].ID < s[j].ID) != desc
	})
	ids := make([]string, len(s))
	for i, u := range s {
		ids[i] = u.ID
	}
	return ids
}

func textKey(v string) *string { return &v }

func timeKey(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return textKey(t.UTC().Format(time.RFC3339Nano))
}

func testUserListSorts(t *testing.T, st store.Store) {
	us := userListFixture(t, st)
	list := func(r store.ListRequest) (store.Page[store.User], error) {
		return st.Users().List(ctx(t), store.UserFilter{}, r)
	}
	id := func(u store.User) string { return u.ID }
	keys := map[string]func(*store.User) *string{
		store.UserSortCreatedAt: func(u *store.User) *string { return timeKey(&u.CreatedAt) },
		store.UserSortEmail:     func(u *store.User) *string { return textKey(strings.ToLower(u.Email)) },
		store.UserSortUsername: func(u *store.User) *string {
			if u.Username == "" {
				return nil
			}
			return textKey(strings.ToLower(u.Username))
		},
		store.UserSortName:        func(u *store.User) *string { return textKey(strings.ToLower(u.FirstName + " " + u.LastName)) },
		store.UserSortLastLoginAt: func(u *store.User) *string { return timeKey(u.LastLoginAt) },
	}
	for field, key := range keys {
		for _, desc := range []bool{false, true} {
			s := store.Sort{Field: field, Desc: desc}
			t.Run(s.String(), func(t *testing.T) {
				listContract(t, list, id, s, userOrder(us, desc, key))
			})
		}
	}

	got, _ := walk(t, list, store.ListRequest{Limit: 3})
	assert.Equal(t, userOrder(us, true, keys[store.UserSortCreatedAt]), userIDs(got), "newest first by default")

	// Users without a login come last in both directions.
	for _, desc := range []bool{false, true} {
		got, _ := walk(t, list, store.ListRequest{Limit: 2, Sort: store.Sort{Field: store.UserSortLastLoginAt, Desc: desc}})
		require.Len(t, got, len(us))
		for _, u := range got[5:] {
			assert.Nil(t, u.LastLoginAt, "desc=%v: nulls last", desc)
		}
		for _, u := range got[:5] {
			assert.NotNil(t, u.LastLoginAt, "desc=%v", desc)
		}
	}
}

func userIDs(us []store.User) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

func testUserListFilters(t *testing.T, st store.Store) {
	us := userListFixture(t, st)
	ids := func(idx ...int) []string {
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = us[j].ID
		}
		sort.Strings(out)
		return out
	}
	yes, no := ptr(true), ptr(false)
	for _, tc := range []struct {
		name string
		f    store.UserFilter
		want []string
	}{
		{"none", store.UserFilter{}, ids(0, 1, 2, 3, 4, 5, 6, 7)},
		{"status", store.UserFilter{Status: store.StatusSuspended}, ids(2)},
		{"status deleted", store.UserFilter{Status: store.StatusDeleted}, ids(7)},
		{"role", store.UserFilter{Role: store.RoleModerator}, ids(1, 4)},
		{"role in another case", store.UserFilter{Role: "MODERATOR"}, ids(1, 4)},
		{"role nobody holds", store.UserFilter{Role: store.RoleAdmin}, nil},
		{"unknown role", store.UserFilter{Role: "nope"}, nil},
		{"email verified", store.UserFilter{EmailVerified: yes}, ids(0, 3, 4)},
		{"email not verified", store.UserFilter{EmailVerified: no}, ids(1, 2, 5, 6, 7)},
		{"two factor", store.UserFilter{TwoFactor: yes}, ids(1, 4)},
		{"no two factor", store.UserFilter{TwoFactor: no}, ids(0, 2, 3, 5, 6, 7)},
		{"created from", store.UserFilter{CreatedFrom: base.Add(2 * time.Minute)}, ids(5, 6, 7)},
		{"created to", store.UserFilter{CreatedTo: base.Add(time.Minute)}, ids(0, 1)},
		{"created from and to", store.UserFilter{CreatedFrom: base.Add(time.Minute), CreatedTo: base.Add(3 * time.Minute)}, ids(2, 3, 4, 5)},
		{"created from in another zone", store.UserFilter{CreatedFrom: base.Add(3 * time.Minute).In(zone)}, ids(6, 7)},
		{"q on the email", store.UserFilter{Q: "EXAMPLE.ORG"}, ids(3)},
		{"q on the email in any case", store.UserFilter{Q: "bob@"}, ids(1)},
		{"q on the username", store.UserFilter{Q: "zE"}, ids(0)},
		{"q on a name", store.UserFilter{Q: "LOVE"}, ids(0, 2, 4)},
		{"q on first and last name", store.UserFilter{Q: "ada love"}, ids(0, 2, 4)},
		{"q on the display name", store.UserFilter{Q: "countess"}, ids(4)},
		{"q with _ taken literally", store.UserFilter{Q: "_"}, ids(5)},
		{"q with % taken literally", store.UserFilter{Q: "%"}, nil},
		{"q with a backslash", store.UserFilter{Q: `\`}, nil},
		{"q no match", store.UserFilter{Q: "nobody"}, nil},
		{"q with * taken literally", store.UserFilter{Q: "*"}, nil},
		{"q with ? taken literally", store.UserFilter{Q: "a?a"}, nil},
		{"q with [ taken literally", store.UserFilter{Q: "[a-z]"}, nil},
		{"q does not span email and username", store.UserFilter{Q: "comzed"}, nil},
		{"q does not span two fields with a space", store.UserFilter{Q: ".com zed"}, nil},
		{"q with the field separator", store.UserFilter{Q: "com\x01zed"}, nil},
		{"q of two letters", store.UserFilter{Q: "cy"}, ids(5)},
		{"q of one letter", store.UserFilter{Q: "Z"}, ids(0)},
		{"q with a status", store.UserFilter{Q: "lovelace", Status: store.StatusSuspended}, ids(2)},
		{"q on a deleted user", store.UserFilter{Q: "hal@"}, ids(7)},
		{"combined", store.UserFilter{Q: "lovelace", EmailVerified: yes, Role: store.RoleModerator}, ids(4)},
	} {
		p, err := st.Users().List(ctx(t), tc.f, store.ListRequest{Limit: store.MaxLimit, IncludeTotal: true})
		require.NoError(t, err, tc.name)
		got := userIDs(p.Items)
		sort.Strings(got)
		if tc.want == nil {
			assert.Empty(t, got, tc.name)
		} else {
			assert.Equal(t, tc.want, got, tc.name)
		}
		if assert.NotNil(t, p.Total, tc.name) {
			assert.Equal(t, len(tc.want), *p.Total, "total: %s", tc.name)
		}
	}

	// Paging under a filter: every match once, the total of the matches.
	f := store.UserFilter{Q: "lovelace"}
	got, pages := walk(t, func(r store.ListRequest) (store.Page[store.User], error) {
		return st.Users().List(ctx(t), f, r)
	}, store.ListRequest{Limit: 1, Sort: store.Sort{Field: store.UserSortName}})
	assert.Equal(t, 3, pages)
	assert.ElementsMatch(t, ids(0, 2, 4), userIDs(got))
	p, err := st.Users().List(ctx(t), f, store.ListRequest{Limit: 2, Page: 2})
	require.NoError(t, err)
	assert.Len(t, p.Items, 1)
	require.NotNil(t, p.Total)
	assert.Equal(t, 3, *p.Total)
}

func testUserListFields(t *testing.T, st store.Store) {
	us := userListFixture(t, st)
	p, err := st.Users().List(ctx(t), store.UserFilter{Q: "countess"}, store.ListRequest{})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	got, want := p.Items[0], us[4]
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.Email, got.Email)
	assert.Equal(t, want.Username, got.Username)
	assert.Equal(t, want.DisplayName, got.DisplayName)
	assert.Equal(t, want.Status, got.Status)
	assert.True(t, got.EmailVerified)
	assert.True(t, got.TwoFactorEnabled)
	assert.Equal(t, want.Preferences, got.Preferences)
	sameTime(t, want.CreatedAt, got.CreatedAt)
	sameTimePtr(t, want.LastLoginAt, got.LastLoginAt)
	assert.Empty(t, p.NextCursor)
	assert.Nil(t, p.Total)
}

// testUserSearchFollowsChanges checks that q sees a user's current
// fields (stores that keep a search index must update it with the row)
// and forgets deleted users.
func testUserSearchFollowsChanges(t *testing.T, st store.Store) {
	us := userListFixture(t, st)
	search := func(q string) []string {
		p, err := st.Users().List(ctx(t), store.UserFilter{Q: q}, store.ListRequest{Limit: store.MaxLimit})
		require.NoError(t, err)
		return userIDs(p.Items)
	}
	_, err := st.Users().Update(ctx(t), us[6].ID, func(u *store.User) error {
		u.Username, u.FirstName, u.DisplayName = "quokka", "Grace", "Admiral Hopper"
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, search("wu"), "the old username is forgotten")
	assert.Equal(t, []string{us[6].ID}, search("QUOKKA"))
	assert.Equal(t, []string{us[6].ID}, search("grace "))
	assert.Equal(t, []string{us[6].ID}, search("miral hop"))

	_, err = st.Users().Update(ctx(t), us[3].ID, func(u *store.User) error {
		u.Email = "dora@example.net"
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, search("dan@"))
	assert.Equal(t, []string{us[3].ID}, search("example.net"))

	require.NoError(t, st.Users().Delete(ctx(t), us[5].ID))
	assert.Empty(t, search("fay@"))
	assert.Empty(t, search("h_l"))

	u := store.User{Email: "ivy@example.com", Username: "newcomer", PasswordHash: "$2a$12$x", Status: store.StatusActive,
		Visibility: store.VisibilityPublic, Preferences: store.DefaultPreferences(), CreatedAt: base, UpdatedAt: base}
	require.NoError(t, st.Users().Create(ctx(t), &u))
	assert.Equal(t, []string{u.ID}, search("comer"))
}
