package usermgmt_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/users"
)

// Profiles, preferences and the public profile over HTTP. Helpers carry a
// pf prefix.

// pfUser registers and signs in email, returning its id and access token.
func (e *e2eEnv) pfUser(t testing.TB, email string) (id, access string) {
	t.Helper()
	id = e.register(t, email)
	return id, e.login(t, email, e2ePassword).AccessToken
}

func newPF(t *testing.T) *e2eEnv {
	return newE2E(t, nil, usermgmt.WithRateLimits(httpapi.Limits{}))
}

func TestE2EProfileBadInput(t *testing.T) {
	e := newPF(t)
	_, tok := e.pfUser(t, "ada@example.com")
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		fields []string
		msg    string
	}{
		{"FirstNameTooLong", map[string]any{"firstName": long(101)}, 400, "VALIDATION_FAILED", []string{"firstName"}, "1 to 100"},
		{"FirstNameBlank", map[string]any{"firstName": "   "}, 400, "VALIDATION_FAILED", []string{"firstName"}, "1 to 100"},
		{"LastNameTooLong", map[string]any{"lastName": long(101)}, 400, "VALIDATION_FAILED", []string{"lastName"}, "1 to 100"},
		{"LastNameTwoLines", map[string]any{"lastName": "a\nb"}, 400, "VALIDATION_FAILED", []string{"lastName"}, "single line"},
		{"DisplayNameTooLong", map[string]any{"displayName": long(101)}, 400, "VALIDATION_FAILED", []string{"displayName"}, "at most 100"},
		{"BioTooLong", map[string]any{"bio": long(501)}, 400, "VALIDATION_FAILED", []string{"bio"}, "at most 500"},
		{"LocationTooLong", map[string]any{"location": long(101)}, 400, "VALIDATION_FAILED", []string{"location"}, "at most 100"},
		{"WebsiteRelative", map[string]any{"website": "/me"}, 400, "VALIDATION_FAILED", []string{"website"}, "absolute http"},
		{"WebsiteScheme", map[string]any{"website": "javascript:alert(1)"}, 400, "VALIDATION_FAILED", []string{"website"}, "absolute http"},
		{"WebsiteFTP", map[string]any{"website": "ftp://example.com"}, 400, "VALIDATION_FAILED", []string{"website"}, "absolute http"},
		{"PhoneNoPlus", map[string]any{"phoneNumber": "4155550100"}, 400, "VALIDATION_FAILED", []string{"phoneNumber"}, "E.164"},
		{"PhoneShort", map[string]any{"phoneNumber": "+1234567"}, 400, "VALIDATION_FAILED", []string{"phoneNumber"}, "E.164"},
		{"PhoneLong", map[string]any{"phoneNumber": "+1234567890123456"}, 400, "VALIDATION_FAILED", []string{"phoneNumber"}, "E.164"},
		{"PhoneLetters", map[string]any{"phoneNumber": "+1415555O100"}, 400, "VALIDATION_FAILED", []string{"phoneNumber"}, "E.164"},
		{"Visibility", map[string]any{"visibility": "friends"}, 400, "VALIDATION_FAILED", []string{"visibility"}, "public or private"},
		{"UsernameForm", map[string]any{"username": "a b"}, 400, "VALIDATION_FAILED", []string{"username"}, "3 to 32"},
		{"UsernameShort", map[string]any{"username": "ab"}, 400, "VALIDATION_FAILED", []string{"username"}, "3 to 32"},
		{"EmailInvalid", map[string]any{"email": "nope"}, 400, "VALIDATION_FAILED", []string{"email"}, "valid email"},
		{"EmailNull", map[string]any{"email": nil}, 400, "VALIDATION_FAILED", []string{"email"}, "cannot be cleared"},
		{"WrongType", map[string]any{"bio": 5, "firstName": true}, 400, "VALIDATION_FAILED", []string{"bio", "firstName"}, "must be a string"},
		{"ReadOnly", map[string]any{"roles": []string{"admin"}, "status": "active", "emailVerified": true, "id": "x", "createdAt": "2020-01-01T00:00:00Z"},
			400, "VALIDATION_FAILED", []string{"createdAt", "emailVerified", "id", "roles", "status"}, "read-only"},
		{"UnknownAndReadOnly", map[string]any{"nickname": "x", "twoFactorEnabled": true}, 400, "VALIDATION_FAILED", []string{"nickname", "twoFactorEnabled"}, ""},
		{"Several", map[string]any{"website": "x", "phoneNumber": "1"}, 400, "VALIDATION_FAILED", []string{"phoneNumber", "website"}, ""},
		{"Reserved", map[string]any{"username": "Profile"}, 422, "USERNAME_RESERVED", nil, ""},
		{"ReservedAdmin", map[string]any{"username": "ADMIN"}, 422, "USERNAME_RESERVED", nil, ""},
		{"Empty", e2eRaw(""), 400, "MALFORMED_JSON", nil, ""},
	} {
		for _, method := range []string{http.MethodPatch, http.MethodPut} {
			t.Run(method+"/"+tc.name, func(t *testing.T) {
				r := e.do(t, method, "/users/profile", tc.body, e2eBearer(tok)...)
				p := e2eCheckProblem(t, r, tc.status, tc.code)
				if tc.fields != nil {
					assert.Equal(t, tc.fields, p.Fields())
				}
				if tc.msg != "" && assert.NotEmpty(t, p.Errors) {
					assert.Contains(t, p.Errors[0].Message, tc.msg)
				}
			})
		}
	}
	r := e.get(t, "/users/profile", e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Nil(t, r.JSON(t)["firstName"], "nothing refused was written")
	assert.Equal(t, http.StatusUnauthorized, e.do(t, http.MethodPatch, "/users/profile", map[string]any{"bio": "x"}).Status)
}

func TestE2EProfilePutAndPatch(t *testing.T) {
	e := newPF(t)
	id, tok := e.pfUser(t, "ada@example.com")
	full := map[string]any{
		"username": "ada", "firstName": " Ada ", "lastName": "Lovelace", "displayName": "Countess",
		"phoneNumber": "+44 20 7946 0958", "bio": "Analyst.\nPoet.", "location": "London",
		"website": "HTTPS://Example.COM/ada", "visibility": "private",
	}
	r := e.do(t, http.MethodPut, "/users/profile", full, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	got := r.JSON(t)
	assert.Equal(t, "Ada", got["firstName"], "trimmed")
	assert.Equal(t, "+442079460958", got["phoneNumber"], "spaces removed")
	assert.Equal(t, "https://example.com/ada", got["website"])
	assert.Equal(t, "private", got["visibility"])
	assert.Equal(t, "ada@example.com", got["email"])
	assert.Equal(t, []any{"user"}, got["roles"])

	// PATCH changes only what it carries; null clears.
	r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"bio": nil, "location": "Paris"}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	got = r.JSON(t)
	assert.Nil(t, got["bio"])
	assert.Equal(t, "Paris", got["location"])
	assert.Equal(t, "Countess", got["displayName"])
	assert.Equal(t, "private", got["visibility"])

	// PUT clears what it leaves out; username and email stay, visibility
	// goes back to public.
	r = e.do(t, http.MethodPut, "/users/profile", map[string]any{"displayName": "Ada L."}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	got = r.JSON(t)
	for _, f := range []string{"firstName", "lastName", "phoneNumber", "bio", "location", "website"} {
		assert.Nil(t, got[f], f)
	}
	assert.Equal(t, "Ada L.", got["displayName"])
	assert.Equal(t, "ada", got["username"])
	assert.Equal(t, "ada@example.com", got["email"])
	assert.Equal(t, "public", got["visibility"])

	// Every change is one audit row naming the fields, never the values.
	page, err := e.m.Store().Audit().List(context.Background(), store.AuditFilter{Action: users.ActionUpdate, TargetID: id},
		store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)
	var fields []string
	for _, it := range page.Items {
		fields = append(fields, it.Metadata["fields"])
		assert.Equal(t, id, it.ActorID)
		for _, v := range it.Metadata {
			assert.NotContains(t, v, "Lovelace")
		}
	}
	assert.Contains(t, fields, "bio,location")
	assert.Contains(t, fields, "bio,displayName,firstName,lastName,location,phoneNumber,username,visibility,website")

	// An empty PATCH changes nothing and writes no row.
	r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	page, err = e.m.Store().Audit().List(context.Background(), store.AuditFilter{Action: users.ActionUpdate, TargetID: id},
		store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	assert.Len(t, page.Items, 3)
}

func TestE2EProfileUsername(t *testing.T) {
	e := newPF(t)
	_, tok := e.pfUser(t, "ada@example.com")
	_, other := e.pfUser(t, "bob@example.com")
	r := e.do(t, http.MethodPatch, "/users/profile", map[string]any{"username": "Ada.L"}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "ada.l", r.JSON(t)["username"], "normalised as at registration")

	for _, name := range []string{"ada.l", "ADA.L", "Ada.l"} {
		r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"username": name}, e2eBearer(other)...)
		e2eCheckProblem(t, r, http.StatusConflict, "USERNAME_TAKEN")
	}
	for _, name := range []string{"profile", "preferences", "Root", "support"} {
		r = e.do(t, http.MethodPut, "/users/profile", map[string]any{"username": name}, e2eBearer(other)...)
		e2eCheckProblem(t, r, http.StatusUnprocessableEntity, "USERNAME_RESERVED")
	}
	// The same name in another case is no change for its owner.
	r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"username": "ADA.L"}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, "ada.l", r.JSON(t)["username"])
}

// pfChangeMail waits for the confirmation and the notice of an email
// change and returns the confirmation link on the test server.
func (e *e2eEnv) pfChangeMail(t *testing.T, oldAddr, newAddr string) string {
	t.Helper()
	m := e.mail.next(t, newAddr, "Confirm your new email address", 10*time.Second)
	_, link := e.linkToken(t, m)
	notice := e.mail.next(t, oldAddr, "Your email address is being changed", 10*time.Second)
	assert.Contains(t, notice.Text, newAddr)
	assert.NotContains(t, notice.Text, "token=", "the old address never gets the link")
	return link
}

func TestE2EProfileEmailChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) { pfEmailChange(t, st) })
}

// pfEmailChange runs the email change on st: the conflict at confirmation
// is a unique violation inside the transaction, which each database
// reports in its own way.
func pfEmailChange(t *testing.T, st store.Store) {
	e := newE2E(t, st, usermgmt.WithRateLimits(httpapi.Limits{}))
	id, _ := e.pfUser(t, "ada@example.com")
	e.pfUser(t, "bob@example.com")
	tk := e.login(t, "ada@example.com", e2ePassword)

	t.Run("Taken", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "BOB@example.com"}, e2eBearer(tk.AccessToken)...)
		e2eCheckProblem(t, r, http.StatusConflict, "EMAIL_TAKEN")
	})

	t.Run("LinkFlow", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "Ada.New@example.com"}, e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		got := r.JSON(t)
		assert.Equal(t, "ada@example.com", got["email"], "the old address stays until the link is used")
		assert.Equal(t, "ada.new@example.com", got["pendingEmail"])
		link := e.pfChangeMail(t, "ada@example.com", "ada.new@example.com")

		r = e.get(t, link)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		assert.Equal(t, true, r.JSON(t)["emailVerified"])
		got = e.get(t, "/users/profile", e2eBearer(tk.AccessToken)...).JSON(t)
		assert.Equal(t, "ada.new@example.com", got["email"])
		assert.Nil(t, got["pendingEmail"])
		assert.Equal(t, true, got["emailVerified"])
		e.login(t, "ada.new@example.com", e2ePassword)
		// The link works once.
		e2eCheckProblem(t, e.get(t, link), http.StatusBadRequest, "INVALID_TOKEN")
	})

	t.Run("TakenAtConfirmation", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "carol@example.com"}, e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		link := e.pfChangeMail(t, "ada.new@example.com", "carol@example.com")
		e.register(t, "carol@example.com")
		for range 2 { // the link stays unspent: the same answer again
			e2eCheckProblem(t, e.get(t, link), http.StatusConflict, "EMAIL_TAKEN")
		}
		u, err := e.m.Store().Users().ByID(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, "ada.new@example.com", u.Email)
	})

	t.Run("Withdrawn", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "dora@example.com"}, e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		link := e.pfChangeMail(t, "ada.new@example.com", "dora@example.com")
		r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "ada.new@example.com"}, e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		assert.Nil(t, r.JSON(t)["pendingEmail"])
		e2eCheckProblem(t, e.get(t, link), http.StatusBadRequest, "INVALID_TOKEN")
	})

	t.Run("Expires", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "erin@example.com"}, e2eBearer(tk.AccessToken)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		link := e.pfChangeMail(t, "ada.new@example.com", "erin@example.com")
		e.clock.Advance(24*time.Hour + time.Minute)
		e2eCheckProblem(t, e.get(t, link), http.StatusBadRequest, "INVALID_TOKEN")
		tk2 := e.login(t, "ada.new@example.com", e2ePassword)
		got := e.get(t, "/users/profile", e2eBearer(tk2.AccessToken)...).JSON(t)
		assert.Nil(t, got["pendingEmail"], "an expired change is not pending")
		assert.Equal(t, "ada.new@example.com", got["email"])
		tk = tk2
	})

	t.Run("RecentAuthentication", func(t *testing.T) {
		// Past the privileged window a refreshed session needs the password.
		e.clock.Advance(16 * time.Minute)
		r := e.post(t, "/auth/refresh", map[string]any{"refreshToken": tk.RefreshToken})
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		access := r.JSON(t)["accessToken"].(string)
		r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "fay@example.com", "bio": "x"}, e2eBearer(access)...)
		e2eCheckProblem(t, r, http.StatusForbidden, "REAUTHENTICATION_REQUIRED")
		r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "fay@example.com", "password": "wrong-password-1"}, e2eBearer(access)...)
		e2eCheckProblem(t, r, http.StatusForbidden, "INVALID_PASSWORD")
		got := e.get(t, "/users/profile", e2eBearer(access)...).JSON(t)
		assert.Nil(t, got["bio"], "a refused change writes nothing")
		assert.Nil(t, got["pendingEmail"])
		// Other fields need no recent authentication.
		r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"bio": "x"}, e2eBearer(access)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		r = e.do(t, http.MethodPatch, "/users/profile", map[string]any{"email": "fay@example.com", "password": e2ePassword}, e2eBearer(access)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		assert.Equal(t, "fay@example.com", r.JSON(t)["pendingEmail"])
		e.pfChangeMail(t, "ada.new@example.com", "fay@example.com")
	})
}

func TestE2EPreferences(t *testing.T) {
	e := newPF(t)
	id, tok := e.pfUser(t, "ada@example.com")
	defaults := map[string]any{"language": "en", "timezone": "UTC", "theme": "system",
		"notifications": map[string]any{"email": true, "inApp": true, "securityAlerts": true}}
	r := e.get(t, "/users/preferences", e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, defaults, r.JSON(t))

	r = e.do(t, http.MethodPut, "/users/preferences", map[string]any{"language": "pt-br", "timezone": "Europe/Berlin",
		"theme": "dark", "notifications": map[string]any{"email": false, "inApp": false, "securityAlerts": false}}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, map[string]any{"language": "pt-BR", "timezone": "Europe/Berlin", "theme": "dark",
		"notifications": map[string]any{"email": false, "inApp": false, "securityAlerts": false}}, r.JSON(t))
	assert.Equal(t, r.JSON(t), e.get(t, "/users/preferences", e2eBearer(tok)...).JSON(t))

	// PUT replaces: missing fields, also inside notifications, take their
	// defaults.
	r = e.do(t, http.MethodPut, "/users/preferences", map[string]any{"theme": "light", "notifications": map[string]any{"inApp": false}}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, map[string]any{"language": "en", "timezone": "UTC", "theme": "light",
		"notifications": map[string]any{"email": true, "inApp": false, "securityAlerts": true}}, r.JSON(t))
	r = e.do(t, http.MethodPut, "/users/preferences", map[string]any{}, e2eBearer(tok)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	assert.Equal(t, defaults, r.JSON(t))

	page, err := e.m.Store().Audit().List(context.Background(), store.AuditFilter{Action: users.ActionPreferences, TargetID: id},
		store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)

	for _, tc := range []struct {
		name   string
		body   any
		fields []string
	}{
		{"Language", map[string]any{"language": "not a tag"}, []string{"language"}},
		{"LanguageEmpty", map[string]any{"language": ""}, []string{"language"}},
		{"LanguageUnd", map[string]any{"language": "und"}, []string{"language"}},
		{"Timezone", map[string]any{"timezone": "Mars/Olympus"}, []string{"timezone"}},
		{"TimezoneLocal", map[string]any{"timezone": "Local"}, []string{"timezone"}},
		{"TimezonePath", map[string]any{"timezone": "../../etc/passwd"}, []string{"timezone"}},
		{"Theme", map[string]any{"theme": "blue"}, []string{"theme"}},
		{"All", map[string]any{"theme": "blue", "timezone": "x", "language": "@@"}, []string{"language", "theme", "timezone"}},
		{"NotificationType", map[string]any{"notifications": map[string]any{"email": "yes"}}, []string{"notifications.email"}},
		{"NotificationUnknown", map[string]any{"notifications": map[string]any{"sms": true}}, []string{"notifications.sms"}},
		{"Unknown", map[string]any{"fontSize": 3}, []string{"fontSize"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, http.MethodPut, "/users/preferences", tc.body, e2eBearer(tok)...)
			p := e2eCheckProblem(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
			assert.Equal(t, tc.fields, p.Fields())
		})
	}
}

func TestE2EPublicProfile(t *testing.T) {
	e := newPF(t)
	ctx := context.Background()
	mk := func(name string, fn func(u *store.User)) string {
		id, tok := e.pfUser(t, name+"@example.com")
		r := e.do(t, http.MethodPatch, "/users/profile", map[string]any{"username": name, "displayName": "The " + name,
			"bio": "Hi", "phoneNumber": "+14155550100"}, e2eBearer(tok)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r)
		if fn != nil {
			_, err := e.m.Store().Users().Update(ctx, id, func(u *store.User) error { fn(u); return nil })
			require.NoError(t, err)
		}
		return id
	}
	id := mk("ada", nil)
	r := e.get(t, "/users/ADA")
	require.Equal(t, http.StatusOK, r.Status, "%s", r)
	got := r.JSON(t)
	assert.Equal(t, []string{"avatarUrl", "bio", "createdAt", "displayName", "id", "username"}, e2eKeys(got))
	assert.Equal(t, id, got["id"])
	assert.Equal(t, "ada", got["username"])
	assert.Equal(t, "The ada", got["displayName"])
	assert.Nil(t, got["avatarUrl"])

	now := e.clock.Now()
	mk("pia", func(u *store.User) { u.Visibility = store.VisibilityPrivate })
	mk("sue", func(u *store.User) { u.Status = store.StatusSuspended })
	mk("dee", func(u *store.User) { u.Status = store.StatusDeactivated })
	mk("del", func(u *store.User) { u.Status, u.DeletedAt = store.StatusDeleted, &now })
	var unknown []byte
	for _, name := range []string{"pia", "sue", "dee", "del", "nobody", "x"} {
		r := e.get(t, "/users/"+name)
		p := e2eCheckProblem(t, r, http.StatusNotFound, "USER_NOT_FOUND")
		if unknown == nil {
			unknown = []byte(p.Detail)
		}
		assert.Equal(t, string(unknown), p.Detail, "%s answers as an unknown user", name)
	}

	// The route names are not shadowed by the pattern.
	_, tok := e.pfUser(t, "zed@example.com")
	assert.Contains(t, string(e.get(t, "/users/profile", e2eBearer(tok)...).Body), "zed@example.com")
	assert.Equal(t, http.StatusUnauthorized, e.get(t, "/users/profile").Status)
	assert.Equal(t, http.StatusUnauthorized, e.get(t, "/users/preferences").Status)
	assert.Equal(t, http.StatusMethodNotAllowed, e.do(t, http.MethodDelete, "/users/ada", nil).Status)
}

func e2eKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestProfileFromGo(t *testing.T) {
	e := newPF(t)
	ada, _ := e.pfUser(t, "ada@example.com")
	bob, _ := e.pfUser(t, "bob@example.com")
	svc := e.m.Users()
	bio := "From Go."
	asAda := store.NewContextWithActor(context.Background(), store.Actor{UserID: ada})

	p, err := svc.UpdateProfile(asAda, ada, users.ProfileChange{Bio: &bio})
	require.NoError(t, err)
	assert.Equal(t, "From Go.", p.User.Bio)
	assert.Equal(t, []string{"user"}, p.Roles)

	_, err = svc.UpdateProfile(asAda, bob, users.ProfileChange{Bio: &bio})
	assert.ErrorIs(t, err, store.ErrPermissionDenied)
	_, err = svc.SetPreferences(asAda, bob, users.PreferencesChange{})
	assert.ErrorIs(t, err, store.ErrPermissionDenied)
	_, err = svc.Preferences(asAda, bob)
	assert.ErrorIs(t, err, store.ErrPermissionDenied)
	_, err = svc.UpdateProfile(context.Background(), ada, users.ProfileChange{Bio: &bio})
	assert.ErrorIs(t, err, store.ErrUnauthenticated)
	page, err := e.m.Store().Audit().List(context.Background(), store.AuditFilter{TargetID: bob, Outcome: store.OutcomeDenied},
		store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	assert.Len(t, page.Items, 3, "each refusal is audited")

	sys := store.NewContextWithActor(context.Background(), store.SystemActor)
	name, email := "bobby", "robert@example.com"
	p, err = svc.ReplaceProfile(sys, bob, users.ProfileChange{Username: &name, Email: &email})
	require.NoError(t, err)
	assert.Equal(t, "bobby", p.User.Username)
	assert.Equal(t, "robert@example.com", p.User.PendingEmail, "the system actor needs no recent sign-in")
	e.pfChangeMail(t, "bob@example.com", "robert@example.com")

	dark := users.ThemeDark
	prefs, err := svc.SetPreferences(sys, bob, users.PreferencesChange{Theme: &dark})
	require.NoError(t, err)
	assert.Equal(t, "dark", prefs.Theme)
	assert.True(t, prefs.NotifySecurity)

	pub, err := svc.PublicProfile(context.Background(), "BOBBY")
	require.NoError(t, err)
	assert.Equal(t, bob, pub.ID)
	_, err = svc.PublicProfile(context.Background(), "nobody")
	assert.ErrorIs(t, err, store.ErrUserNotFound)
}
