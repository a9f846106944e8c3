package usermgmt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

type adminList struct {
	Items []struct {
		ID              string   `json:"id"`
		Email           string   `json:"email"`
		Status          string   `json:"status"`
		Roles           []string `json:"roles"`
		SuspendedReason *string  `json:"suspendedReason"`
	} `json:"items"`
	NextCursor *string `json:"nextCursor"`
	Total      *int    `json:"total"`
}

func (e *adminEnv) list(t *testing.T, query string) adminList {
	t.Helper()
	r := e.get(t, "/admin/users?"+query, e2eBearer(e.admin)...)
	require.Equal(t, http.StatusOK, r.Status, "%s: %s", query, r)
	var l adminList
	require.NoError(t, json.Unmarshal(r.Body, &l))
	return l
}

func (l adminList) emails() []string {
	out := []string{}
	for _, it := range l.Items {
		out = append(out, it.Email)
	}
	sort.Strings(out)
	return out
}

func TestAdminUserList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		ctx := context.Background()
		create := func(email, first, last string) string {
			r := e.post(t, "/admin/users", map[string]any{"email": email, "firstName": first, "lastName": last,
				"password": e2ePassword, "emailVerified": true}, e2eBearer(e.admin)...)
			require.Equal(t, 201, r.Status, r.String())
			return r.JSON(t)["id"].(string)
		}
		grace := create("grace@navy.example", "Grace", "Hopper")
		ada := create("ada@analytical.example", "Ada", "Lovelace")
		gone := create("gone@analytical.example", "Gus", "Gone")
		require.Equal(t, 204, e.do(t, "DELETE", "/admin/users/"+gone, nil, e2eBearer(e.admin)...).Status)
		require.Equal(t, 200, e.post(t, "/admin/users/"+ada+"/suspend", map[string]any{"reason": "chargeback"}, e2eBearer(e.admin)...).Status)
		_, err := st.Users().Update(ctx, grace, func(u *store.User) error { u.TwoFactorEnabled, u.TwoFactorMethod = true, "totp"; return nil })
		require.NoError(t, err)
		e.advance(t, time.Hour)
		late := e.register(t, "late@example.com")

		all := []string{"admin@example.com", "ada@analytical.example", "gone@analytical.example", "grace@navy.example", "late@example.com", "mod@example.com", "user@example.com"}
		sort.Strings(all)
		tomorrow := e.clock.Now().Add(24 * time.Hour).Format(time.DateOnly)
		cutoff := url.QueryEscape(e.clock.Now().Add(-time.Minute).Format(time.RFC3339))
		cases := []struct {
			name, query string
			want        []string
		}{
			{"all, deleted included", "", all},
			{"q on the email", "q=NAVY", []string{"grace@navy.example"}},
			{"q on a name", "q=lovel", []string{"ada@analytical.example"}},
			{"q on first and last", "q=grace%20hop", []string{"grace@navy.example"}},
			{"q on a deleted user", "q=gone", []string{"gone@analytical.example"}},
			{"q and status", "q=analytical&status=suspended", []string{"ada@analytical.example"}},
			{"status deleted", "status=deleted", []string{"gone@analytical.example"}},
			{"role", "role=ADMIN", []string{"admin@example.com"}},
			{"role moderator", "role=moderator", []string{"mod@example.com"}},
			{"email verified", "emailVerified=true", []string{"ada@analytical.example", "gone@analytical.example", "grace@navy.example"}},
			{"two factor", "twoFactor=true", []string{"grace@navy.example"}},
			{"created from", "createdFrom=" + cutoff, []string{"late@example.com"}},
			{"created to", "createdTo=" + cutoff + "&q=example.com", []string{"admin@example.com", "mod@example.com", "user@example.com"}},
			{"created to tomorrow", "createdTo=" + tomorrow + "&twoFactor=true", []string{"grace@navy.example"}},
			{"q matching nothing", "q=zzzz", []string{}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				l := e.list(t, tc.query+"&includeTotal=true")
				assert.Equal(t, tc.want, l.emails())
				require.NotNil(t, l.Total)
				assert.Equal(t, len(tc.want), *l.Total)
			})
		}
		t.Run("Shape", func(t *testing.T) {
			r := e.get(t, "/admin/users?q=analytical&status=suspended", e2eBearer(e.admin)...)
			items := r.JSON(t)["items"].([]any)
			require.Len(t, items, 1)
			it := items[0].(map[string]any)
			assert.Equal(t, ada, it["id"])
			assert.Equal(t, "suspended", it["status"])
			assert.Equal(t, "chargeback", it["suspendedReason"])
			assert.Equal(t, []any{"user"}, it["roles"])
			for _, k := range []string{"suspendedUntil", "deletedAt", "purgeAfter", "username", "lastLoginAt", "pendingEmail"} {
				v, ok := it[k]
				assert.True(t, ok, "%s present", k)
				assert.Nil(t, v, k)
			}
			assert.NotContains(t, string(r.Body), "passwordHash")
			assert.NotContains(t, string(r.Body), "$2a$")
			assert.Nil(t, r.JSON(t)["nextCursor"])
			_ = late
		})
		t.Run("KeysetAndPages", func(t *testing.T) {
			var seen []string
			cursor := ""
			for range 10 {
				l := e.list(t, "limit=2&sort=email&cursor="+url.QueryEscape(cursor))
				for _, it := range l.Items {
					seen = append(seen, it.Email)
				}
				if l.NextCursor == nil {
					break
				}
				cursor = *l.NextCursor
			}
			assert.Equal(t, all, seen, "a keyset walk by email returns each user once, in order")
			p := e.list(t, "limit=3&page=3&sort=email")
			require.NotNil(t, p.Total)
			assert.Equal(t, len(all), *p.Total)
			assert.Equal(t, all[6:], p.emails())
			desc := e.list(t, "limit=1&sort=-email")
			assert.Equal(t, all[len(all)-1], desc.Items[0].Email)
		})
		t.Run("BadInput", func(t *testing.T) {
			r := e.get(t, "/admin/users?status=gone&emailVerified=maybe&twoFactor=1&createdFrom=yesterday&limit=500&sort=password", e2eBearer(e.admin)...)
			p := e2eCheckProblem(t, r, 400, "VALIDATION_FAILED")
			assert.ElementsMatch(t, []string{"status", "emailVerified", "twoFactor", "createdFrom", "limit"}, p.Fields())
			p = e2eCheckProblem(t, e.get(t, "/admin/users?sort=password", e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.Equal(t, []string{"sort"}, p.Fields())
			p = e2eCheckProblem(t, e.get(t, "/admin/users?cursor=garbage", e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.Equal(t, []string{"cursor"}, p.Fields())
			p = e2eCheckProblem(t, e.get(t, "/admin/users?createdFrom=2026-02-01&createdTo=2026-01-01", e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.Equal(t, []string{"createdTo"}, p.Fields())
		})
	})
}

func TestAdminCreateUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		t.Run("WithPassword", func(t *testing.T) {
			r := e.post(t, "/admin/users", map[string]any{"email": " Linus@Example.com ", "username": "Linus", "firstName": "Linus",
				"password": e2ePassword, "roles": []string{"moderator"}, "emailVerified": true}, e2eBearer(e.admin)...)
			require.Equal(t, 201, r.Status, r.String())
			u := r.JSON(t)
			assert.Equal(t, "linus@example.com", u["email"])
			assert.Equal(t, []any{"moderator"}, u["roles"])
			assert.Equal(t, true, u["emailVerified"])
			assert.Equal(t, float64(0), u["sessionCount"])
			tk := e.login(t, "linus@example.com", e2ePassword)
			assert.NotEmpty(t, tk.RefreshToken)
			id := u["id"].(string)
			rows := e.audits(t, "admin.user_create", id, store.OutcomeSuccess)
			require.Len(t, rows, 1)
			assert.Equal(t, e.adminID, rows[0].ActorID)
			ev := e.events(t, store.EventUserCreated, id)
			require.Len(t, ev, 1)
			assert.Equal(t, e.adminID, ev[0]["actor"])
			assert.Equal(t, map[string]any{"roles": []any{"moderator"}, "invited": false, "emailVerified": true}, ev[0]["payload"])
			assert.Zero(t, e.mail.countSubject("linus@example.com", "nvit"), "no invitation for a user with a password")
		})
		t.Run("Invitation", func(t *testing.T) {
			r := e.post(t, "/admin/users", map[string]any{"email": "invitee@example.com"}, e2eBearer(e.admin)...)
			require.Equal(t, 201, r.Status, r.String())
			e.acctLoginFails(t, "invitee@example.com", e2ePassword)
			m := e.mail.next(t, "invitee@example.com", "", e2eSoon)
			token, _ := e.linkToken(t, m)
			e.advance(t, 6*24*time.Hour)
			res := e.post(t, "/auth/reset-password", map[string]any{"token": token, "newPassword": e2ePassword})
			require.Equal(t, 200, res.Status, res.String())
			e.login(t, "invitee@example.com", e2ePassword)
		})
		t.Run("InvitationLinkLivesSevenDays", func(t *testing.T) {
			require.Equal(t, 201, e.post(t, "/admin/users", map[string]any{"email": "late@example.com"}, e2eBearer(e.admin)...).Status)
			token, _ := e.linkToken(t, e.mail.next(t, "late@example.com", "", e2eSoon))
			e.advance(t, 7*24*time.Hour+time.Minute)
			e2eCheckProblem(t, e.post(t, "/auth/reset-password", map[string]any{"token": token, "newPassword": e2ePassword}), 400, "INVALID_TOKEN")
		})
		t.Run("NoInviteWhenAsked", func(t *testing.T) {
			require.Equal(t, 201, e.post(t, "/admin/users", map[string]any{"email": "quiet@example.com", "sendInvite": false}, e2eBearer(e.admin)...).Status)
			time.Sleep(100 * time.Millisecond)
			assert.Zero(t, e.mail.to("quiet@example.com"))
		})
		t.Run("Conflicts", func(t *testing.T) {
			e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "USER@example.com", "password": e2ePassword}, e2eBearer(e.admin)...), 409, "EMAIL_TAKEN")
			e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "x1@example.com", "username": "LINUS"}, e2eBearer(e.admin)...), 409, "USERNAME_TAKEN")
			e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "x2@example.com", "username": "admin"}, e2eBearer(e.admin)...), 422, "USERNAME_RESERVED")
			e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "x3@example.com", "password": "short"}, e2eBearer(e.admin)...), 422, "WEAK_PASSWORD")
			e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "x4@example.com", "roles": []string{"wizard"}}, e2eBearer(e.admin)...), 404, "ROLE_NOT_FOUND")
		})
		t.Run("BadInput", func(t *testing.T) {
			p := e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "nope", "username": "a", "roles": "admin", "status": "active"}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.ElementsMatch(t, []string{"roles", "status"}, p.Fields())
			p = e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "nope", "username": "a"}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.ElementsMatch(t, []string{"email", "username"}, p.Fields())
			e2eCheckProblem(t, e.post(t, "/admin/users", e2eRaw("{"), e2eBearer(e.admin)...), 400, "MALFORMED_JSON")
		})
		t.Run("Escalation", func(t *testing.T) {
			_, creator := e.withRole(t, "creator@example.com", "USER_CREATE")
			_, assigner := e.withRole(t, "assigner@example.com", "USER_CREATE", "ROLE_ASSIGN", "USER_READ")
			r := e.post(t, "/admin/users", map[string]any{"email": "plain@example.com"}, e2eBearer(creator)...)
			assert.Equal(t, 201, r.Status, "the sign-up roles need no ROLE_ASSIGN: %s", r)
			before := deniedRows(t, e.rbacEnv)
			p := e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "m1@example.com", "roles": []string{"moderator"}}, e2eBearer(creator)...), 403, "PERMISSION_DENIED")
			assert.Contains(t, p.Detail, "ROLE_ASSIGN")
			p = e2eCheckProblem(t, e.post(t, "/admin/users", map[string]any{"email": "m2@example.com", "roles": []string{"admin"}}, e2eBearer(assigner)...), 403, "PERMISSION_DENIED")
			assert.Contains(t, p.Detail, "which you do not hold")
			assert.Equal(t, before+2, deniedRows(t, e.rbacEnv))
			for _, email := range []string{"m1@example.com", "m2@example.com"} {
				_, err := st.Users().ByEmail(context.Background(), email)
				assert.ErrorIs(t, err, store.ErrUserNotFound, "nothing was created for %s", email)
			}
		})
	})
}

// acctLoginFails checks that a login is refused as a wrong password is.
func (e *adminEnv) acctLoginFails(t *testing.T, email, password string) {
	t.Helper()
	e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": email, "password": password}), 401, "INVALID_CREDENTIALS")
}

func TestAdminUpdateUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		path := "/admin/users/" + e.userID
		r := e.do(t, "PATCH", path, map[string]any{"firstName": "Ada", "bio": "Engines", "website": nil, "email": "ada@example.net"}, e2eBearer(e.admin)...)
		require.Equal(t, 200, r.Status, r.String())
		u := r.JSON(t)
		assert.Equal(t, "Ada", u["firstName"])
		assert.Equal(t, "ada@example.net", u["email"])
		assert.Equal(t, false, u["emailVerified"], "an address an admin set is not verified")
		assert.Nil(t, u["pendingEmail"])
		ev := e.events(t, store.EventUserUpdated, e.userID)
		require.Len(t, ev, 1)
		assert.ElementsMatch(t, []any{"firstName", "bio", "email"}, ev[0]["payload"].(map[string]any)["fields"])
		assert.Len(t, e.audits(t, "admin.user_update", e.userID, store.OutcomeSuccess), 1)
		e.login(t, "ada@example.net", e2ePassword)

		r = e.do(t, "PATCH", path, map[string]any{"emailVerified": true}, e2eBearer(e.admin)...)
		assert.Equal(t, true, r.JSON(t)["emailVerified"])
		// No change, no audit row.
		require.Equal(t, 200, e.do(t, "PATCH", path, map[string]any{"firstName": "Ada"}, e2eBearer(e.admin)...).Status)
		assert.Len(t, e.audits(t, "admin.user_update", e.userID, store.OutcomeSuccess), 2)

		p := e2eCheckProblem(t, e.do(t, "PATCH", path, map[string]any{"status": "active", "roles": []string{"admin"}, "password": "x", "firstName": 3}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
		assert.ElementsMatch(t, []string{"status", "roles", "password", "firstName"}, p.Fields())
		p = e2eCheckProblem(t, e.do(t, "PATCH", path, map[string]any{"email": "", "website": "ftp://x", "visibility": "secret"}, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
		assert.ElementsMatch(t, []string{"email", "website", "visibility"}, p.Fields())
		e2eCheckProblem(t, e.do(t, "PATCH", path, map[string]any{"email": "MOD@example.com"}, e2eBearer(e.admin)...), 409, "EMAIL_TAKEN")
		e2eCheckProblem(t, e.do(t, "PATCH", path, map[string]any{"username": "root"}, e2eBearer(e.admin)...), 422, "USERNAME_RESERVED")

		// A moderator edits profiles but cannot move an account to an
		// address of theirs (and then reset its password).
		p = e2eCheckProblem(t, e.do(t, "PATCH", path, map[string]any{"email": "mallory@example.com"}, e2eBearer(e.moderator)...), 403, "PERMISSION_DENIED")
		assert.Contains(t, p.Detail, "USER_MANAGE")
		assert.Equal(t, 200, e.do(t, "PATCH", path, map[string]any{"bio": "moderated"}, e2eBearer(e.moderator)...).Status)
	})
}

func TestAdminDeleteUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newAdminEnv(t, st)
		require.Equal(t, 200, e.get(t, "/users/profile", e2eBearer(e.user)...).Status)
		require.Equal(t, 204, e.do(t, "DELETE", "/admin/users/"+e.userID, nil, e2eBearer(e.admin)...).Status)
		e2eCheckProblem(t, e.get(t, "/users/profile", e2eBearer(e.user)...), 401, "UNAUTHENTICATED")
		d := e.get(t, "/admin/users/"+e.userID, e2eBearer(e.admin)...).JSON(t)
		assert.Equal(t, "deleted", d["status"])
		assert.NotNil(t, d["purgeAfter"])
		assert.NotNil(t, d["deletedAt"])
		p := e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": "user@example.com", "password": e2ePassword}), 403, "ACCOUNT_DELETED")
		_ = p
		e2eCheckProblem(t, e.do(t, "DELETE", "/admin/users/"+e.userID, nil, e2eBearer(e.admin)...), 409, "CONFLICT")
		ev := e.events(t, store.EventUserDeleted, e.userID)
		require.Len(t, ev, 1)
		assert.Equal(t, map[string]any{"permanent": false}, ev[0]["payload"])

		// The user recovers within the window.
		rec := e.post(t, "/account/recover", map[string]any{"identifier": "user@example.com", "password": e2ePassword})
		assert.Equal(t, 200, rec.Status, rec.String())

		t.Run("Permanent", func(t *testing.T) {
			require.Equal(t, 204, e.do(t, "DELETE", "/admin/users/"+e.moderatorID+"?permanent=true", nil, e2eBearer(e.admin)...).Status)
			_, err := st.Users().ByID(context.Background(), e.moderatorID)
			assert.ErrorIs(t, err, store.ErrUserNotFound, "erased")
			e2eCheckProblem(t, e.get(t, "/admin/users/"+e.moderatorID, e2eBearer(e.admin)...), 404, "USER_NOT_FOUND")
		})
		t.Run("LastAdmin", func(t *testing.T) {
			e2eCheckProblem(t, e.do(t, "DELETE", "/admin/users/"+e.adminID, nil, e2eBearer(e.admin)...), 422, "LAST_ADMIN")
			e2eCheckProblem(t, e.do(t, "DELETE", "/admin/users/"+e.adminID+"?permanent=true", nil, e2eBearer(e.admin)...), 422, "LAST_ADMIN")
			assert.Equal(t, store.StatusActive, e.status(t, e.adminID))
		})
		t.Run("BadInput", func(t *testing.T) {
			p := e2eCheckProblem(t, e.do(t, "DELETE", "/admin/users/"+e.userID+"?permanent=yes", nil, e2eBearer(e.admin)...), 400, "VALIDATION_FAILED")
			assert.Equal(t, []string{"permanent"}, p.Fields())
		})
	})
}
