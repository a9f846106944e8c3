package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/users"
)

// profileFields are the editable fields of a profile, as PUT and PATCH
// /users/profile and PATCH /admin/users/{id} take them.
type profileFields struct {
	Username    optString `json:"username"`
	FirstName   optString `json:"firstName"`
	LastName    optString `json:"lastName"`
	DisplayName optString `json:"displayName"`
	PhoneNumber optString `json:"phoneNumber"`
	Bio         optString `json:"bio"`
	Location    optString `json:"location"`
	Website     optString `json:"website"`
	Visibility  optString `json:"visibility"`
	Email       optString `json:"email"`
}

func (f *profileFields) change() users.ProfileChange {
	return users.ProfileChange{
		Username: f.Username.ptr(), FirstName: f.FirstName.ptr(), LastName: f.LastName.ptr(),
		DisplayName: f.DisplayName.ptr(), PhoneNumber: f.PhoneNumber.ptr(), Bio: f.Bio.ptr(),
		Location: f.Location.ptr(), Website: f.Website.ptr(), Visibility: f.Visibility.ptr(),
		Email: f.Email.ptr(),
	}
}

// optString is a JSON string field that tells "not sent" (Set false) from
// null (Null true) and a value, as PATCH needs.
type optString struct {
	Set   bool
	Null  bool
	Value string
}

// UnmarshalJSON implements json.Unmarshaler; encoding/json calls it for
// null too.
func (o *optString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null, o.Value = true, ""
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// ptr is the users.ProfileChange spelling: nil when not sent, "" for
// null.
func (o optString) ptr() *string {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
}

// present notes that a field was sent, whatever its value.
type present bool

// UnmarshalJSON implements json.Unmarshaler.
func (p *present) UnmarshalJSON([]byte) error { *p = true; return nil }

// profileBody is the body of PUT and PATCH /users/profile. The read-only
// fields of a profile are decoded only to be refused by name.
type profileBody struct {
	profileFields
	Password string `json:"password"`

	ID               present `json:"id"`
	PendingEmail     present `json:"pendingEmail"`
	EmailVerified    present `json:"emailVerified"`
	AvatarURL        present `json:"avatarUrl"`
	Status           present `json:"status"`
	Roles            present `json:"roles"`
	TwoFactorEnabled present `json:"twoFactorEnabled"`
	CreatedAt        present `json:"createdAt"`
	UpdatedAt        present `json:"updatedAt"`
	LastLoginAt      present `json:"lastLoginAt"`
}

// readOnly names the read-only fields the body carries.
func (b *profileBody) readOnly() []store.FieldError {
	var out []store.FieldError
	for _, f := range []struct {
		name string
		set  present
	}{
		{"avatarUrl", b.AvatarURL}, {"createdAt", b.CreatedAt}, {"emailVerified", b.EmailVerified},
		{"id", b.ID}, {"lastLoginAt", b.LastLoginAt}, {"pendingEmail", b.PendingEmail},
		{"roles", b.Roles}, {"status", b.Status}, {"twoFactorEnabled", b.TwoFactorEnabled},
		{"updatedAt", b.UpdatedAt},
	} {
		if f.set {
			msg := "is read-only"
			if f.name == "avatarUrl" {
				msg = "is read-only: upload the avatar with POST /upload/avatar"
			}
			out = append(out, store.FieldError{Field: f.name, Message: msg})
		}
	}
	return out
}

func (b *profileBody) change() users.ProfileChange {
	ch := b.profileFields.change()
	ch.Password = b.Password
	return ch
}

// decodeProfile decodes a profile body, reporting unknown, mistyped and
// read-only fields together.
func (a *api) decodeProfile(w http.ResponseWriter, r *http.Request, b *profileBody) bool {
	err := a.decodeJSON(r, b)
	var e *store.Error
	if ro := b.readOnly(); len(ro) > 0 && (err == nil || errors.As(err, &e) && e.Code == store.ErrValidation.Code) {
		fields := ro
		if e != nil {
			fields = append(append([]store.FieldError(nil), e.Fields...), ro...)
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
		err = store.Validation(fields...)
	}
	if err != nil {
		a.problem(w, r, err)
		return false
	}
	return true
}

// profile answers the caller's profile. The roles come from the
// principal, which the auth middleware read within the staleness bound, so
// the hot path costs one query.
func (a *api) profile(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	u, err := a.cfg.Users.Get(r.Context(), p.UserID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u, p.Roles))
}

// replaceProfile is PUT /users/profile.
func (a *api) replaceProfile(w http.ResponseWriter, r *http.Request) {
	a.changeProfile(w, r, a.cfg.Users.ReplaceProfile)
}

// patchProfile is PATCH /users/profile.
func (a *api) patchProfile(w http.ResponseWriter, r *http.Request) {
	a.changeProfile(w, r, a.cfg.Users.UpdateProfile)
}

func (a *api) changeProfile(w http.ResponseWriter, r *http.Request,
	call func(ctx context.Context, userID string, ch users.ProfileChange) (*users.Profile, error)) {
	var b profileBody
	if !a.decodeProfile(w, r, &b) {
		return
	}
	p, err := call(r.Context(), principal(r).UserID, b.change())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(p.User, p.Roles))
}

// notificationsJSON are the notification choices of the preferences.
type notificationsJSON struct {
	Email          bool `json:"email"`
	InApp          bool `json:"inApp"`
	SecurityAlerts bool `json:"securityAlerts"`
}

type preferencesJSON struct {
	Language      string            `json:"language"`
	Timezone      string            `json:"timezone"`
	Theme         string            `json:"theme"`
	Notifications notificationsJSON `json:"notifications"`
}

func toPreferencesJSON(p store.Preferences) preferencesJSON {
	return preferencesJSON{Language: p.Language, Timezone: p.Timezone, Theme: p.Theme,
		Notifications: notificationsJSON{Email: p.NotifyEmail, InApp: p.NotifyInApp, SecurityAlerts: p.NotifySecurity}}
}

// preferencesBody is the body of PUT /users/preferences; what it leaves
// out (or sends as null) takes the default.
type preferencesBody struct {
	Language      *string `json:"language"`
	Timezone      *string `json:"timezone"`
	Theme         *string `json:"theme"`
	Notifications *struct {
		Email          *bool `json:"email"`
		InApp          *bool `json:"inApp"`
		SecurityAlerts *bool `json:"securityAlerts"`
	} `json:"notifications"`
}

func (a *api) preferences(w http.ResponseWriter, r *http.Request) {
	p, err := a.cfg.Users.Preferences(r.Context(), principal(r).UserID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPreferencesJSON(p))
}

func (a *api) setPreferences(w http.ResponseWriter, r *http.Request) {
	var b preferencesBody
	if !a.decode(w, r, &b) {
		return
	}
	ch := users.PreferencesChange{Language: b.Language, Timezone: b.Timezone, Theme: b.Theme}
	if n := b.Notifications; n != nil {
		ch.NotifyEmail, ch.NotifyInApp, ch.NotifySecurity = n.Email, n.InApp, n.SecurityAlerts
	}
	p, err := a.cfg.Users.SetPreferences(r.Context(), principal(r).UserID, ch)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPreferencesJSON(p))
}

// publicProfileJSON is exactly what anyone may see of an account.
type publicProfileJSON struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	DisplayName *string   `json:"displayName"`
	AvatarURL   *string   `json:"avatarUrl"`
	Bio         *string   `json:"bio"`
	CreatedAt   time.Time `json:"createdAt"`
}

// publicProfile is GET /users/{username}, open to anyone.
func (a *api) publicProfile(w http.ResponseWriter, r *http.Request) {
	p, err := a.cfg.Users.PublicProfile(r.Context(), r.PathValue("username"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, publicProfileJSON{ID: p.ID, Username: p.Username,
		DisplayName: nullable(p.DisplayName), AvatarURL: nullable(p.AvatarURL), Bio: nullable(p.Bio),
		CreatedAt: utcTime(p.CreatedAt)})
}
