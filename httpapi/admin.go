package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/store"
)

// adminUserJSON is a user in the admin list: the profile with what an
// administrator also sees of the account's state.
type adminUserJSON struct {
	userJSON
	SuspendedReason *string    `json:"suspendedReason"`
	SuspendedUntil  *time.Time `json:"suspendedUntil"`
	DeletedAt       *time.Time `json:"deletedAt"`
	PurgeAfter      *time.Time `json:"purgeAfter"`
}

// adminUserDetailsJSON is GET /admin/users/{id} and the answer of the
// actions that change a user.
type adminUserDetailsJSON struct {
	adminUserJSON
	SessionCount     int        `json:"sessionCount"`
	FailedLoginCount int        `json:"failedLoginCount"`
	LockedUntil      *time.Time `json:"lockedUntil"`
}

func toAdminUserJSON(u admin.User) adminUserJSON {
	return adminUserJSON{userJSON: toUserJSON(u.User, u.Roles), SuspendedReason: nullable(u.SuspendedReason),
		SuspendedUntil: utcPtr(u.SuspendedUntil), DeletedAt: utcPtr(u.DeletedAt), PurgeAfter: utcPtr(u.PurgeAfter)}
}

func toAdminDetailsJSON(u *admin.User) adminUserDetailsJSON {
	return adminUserDetailsJSON{adminUserJSON: toAdminUserJSON(*u), SessionCount: u.SessionCount,
		FailedLoginCount: u.FailedLoginCount, LockedUntil: utcPtr(u.LockedUntil)}
}

func (a *api) listAdminUsers(w http.ResponseWriter, r *http.Request) {
	f, ferr := parseAdminUserFilter(r)
	req, lerr := parseStoreList(r.URL.Query())
	if err := joinValidation(ferr, lerr); err != nil {
		a.problem(w, r, err)
		return
	}
	page, err := a.cfg.Admin.List(r.Context(), f, req)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, storeListJSON(page, toAdminUserJSON))
}

// joinValidation reports the fields of two validations as one, so that
// a client learns every bad parameter at once; another error wins.
func joinValidation(a, b error) error {
	if a == nil {
		return b
	}
	var ea, eb *store.Error
	if b == nil || !errors.As(a, &ea) || !errors.As(b, &eb) ||
		ea.Code != store.ErrValidation.Code || eb.Code != store.ErrValidation.Code {
		return a
	}
	return store.Validation(append(append([]store.FieldError(nil), ea.Fields...), eb.Fields...)...)
}

func (a *api) getAdminUser(w http.ResponseWriter, r *http.Request) {
	a.writeAdminUser(w, r, http.StatusOK)(a.cfg.Admin.User(r.Context(), r.PathValue("id")))
}

// writeAdminUser returns a function answering a service's (user, error).
func (a *api) writeAdminUser(w http.ResponseWriter, r *http.Request, status int) func(*admin.User, error) {
	return func(u *admin.User, err error) {
		if err != nil {
			a.problem(w, r, err)
			return
		}
		writeJSON(w, status, toAdminDetailsJSON(u))
	}
}

// newAdminUserBody is the body of POST /admin/users.
type newAdminUserBody struct {
	Email         string    `json:"email"`
	Username      string    `json:"username"`
	FirstName     string    `json:"firstName"`
	LastName      string    `json:"lastName"`
	Password      string    `json:"password"`
	Roles         *[]string `json:"roles"`
	EmailVerified bool      `json:"emailVerified"`
	SendInvite    *bool     `json:"sendInvite"`
}

func (a *api) createAdminUser(w http.ResponseWriter, r *http.Request) {
	var b newAdminUserBody
	if !a.decode(w, r, &b) {
		return
	}
	in := admin.NewUser{Email: b.Email, Username: b.Username, FirstName: b.FirstName, LastName: b.LastName,
		Password: b.Password, EmailVerified: b.EmailVerified, SendInvite: b.SendInvite}
	if b.Roles != nil {
		in.Roles = append([]string{}, *b.Roles...)
	}
	a.writeAdminUser(w, r, http.StatusCreated)(a.cfg.Admin.Create(r.Context(), in))
}

// adminUserPatch is the body of PATCH /admin/users/{id}: the editable
// profile fields, email and emailVerified. Status, roles and the password
// are refused by name, pointing to the route that changes them.
type adminUserPatch struct {
	profileFields
	EmailVerified *bool `json:"emailVerified"`

	Status   present `json:"status"`
	Roles    present `json:"roles"`
	Password present `json:"password"`
}

// elsewhere names the fields the body carries that change through other
// routes.
func (b *adminUserPatch) elsewhere() []store.FieldError {
	var out []store.FieldError
	for _, f := range []struct {
		name, msg string
		set       present
	}{
		{"password", "is not editable: use POST /admin/users/{id}/reset-password", b.Password},
		{"roles", "is not editable here: use POST /roles/user/{userId}/assign", b.Roles},
		{"status", "is not editable here: use the lock, unlock, suspend and reactivate actions", b.Status},
	} {
		if f.set {
			out = append(out, store.FieldError{Field: f.name, Message: f.msg})
		}
	}
	return out
}

func (a *api) patchAdminUser(w http.ResponseWriter, r *http.Request) {
	var b adminUserPatch
	err := a.decodeJSON(r, &b)
	if ro := b.elsewhere(); len(ro) > 0 && (err == nil || errors.Is(err, store.ErrValidation)) {
		err = joinValidation(err, store.Validation(ro...))
	}
	if err != nil {
		a.problem(w, r, err)
		return
	}
	ch := admin.UserChange{EmailVerified: b.EmailVerified, ProfileChange: b.change()}
	a.writeAdminUser(w, r, http.StatusOK)(a.cfg.Admin.Update(r.Context(), r.PathValue("id"), ch))
}

func (a *api) deleteAdminUser(w http.ResponseWriter, r *http.Request) {
	permanent := false
	switch v := r.URL.Query().Get("permanent"); v {
	case "", "false":
	case "true":
		permanent = true
	default:
		a.problem(w, r, store.Validation(store.FieldError{Field: "permanent", Message: "must be true or false"}))
		return
	}
	a.noContent(w, r, a.cfg.Admin.Delete(r.Context(), r.PathValue("id"), permanent))
}

// noContent answers 204, or the problem of err.
func (a *api) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) lockAdminUser(w http.ResponseWriter, r *http.Request) {
	a.noContent(w, r, a.cfg.Admin.Lock(r.Context(), r.PathValue("id")))
}

func (a *api) unlockAdminUser(w http.ResponseWriter, r *http.Request) {
	a.noContent(w, r, a.cfg.Admin.Unlock(r.Context(), r.PathValue("id")))
}

// suspendBody is the body of POST /admin/users/{id}/suspend.
type suspendBody struct {
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until"`
}

func (a *api) suspendAdminUser(w http.ResponseWriter, r *http.Request) {
	var b suspendBody
	if !a.decode(w, r, &b) {
		return
	}
	a.writeAdminUser(w, r, http.StatusOK)(a.cfg.Admin.Suspend(r.Context(), r.PathValue("id"),
		admin.Suspension{Reason: b.Reason, Until: b.Until}))
}

func (a *api) reactivateAdminUser(w http.ResponseWriter, r *http.Request) {
	a.writeAdminUser(w, r, http.StatusOK)(a.cfg.Admin.Reactivate(r.Context(), r.PathValue("id")))
}

func (a *api) verifyAdminUserEmail(w http.ResponseWriter, r *http.Request) {
	a.writeAdminUser(w, r, http.StatusOK)(a.cfg.Admin.VerifyEmail(r.Context(), r.PathValue("id")))
}

func (a *api) resetAdminUserTwoFA(w http.ResponseWriter, r *http.Request) {
	a.writeAdminUser(w, r, http.StatusOK)(a.cfg.Admin.ResetTwoFactor(r.Context(), r.PathValue("id")))
}

func (a *api) resetAdminUserPassword(w http.ResponseWriter, r *http.Request) {
	if err := a.cfg.Admin.ResetPassword(r.Context(), r.PathValue("id")); err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"message": "A password-reset link was mailed to the user; their sessions are revoked."})
}

// impersonationJSON is the answer of POST /admin/users/{id}/impersonate:
// an access token and no refresh token.
type impersonationJSON struct {
	AccessToken  string    `json:"accessToken"`
	RefreshToken *string   `json:"refreshToken"`
	TokenType    string    `json:"tokenType"`
	ExpiresIn    int       `json:"expiresIn"`
	ExpiresAt    time.Time `json:"expiresAt"`
	SessionID    string    `json:"sessionId"`
	UserID       string    `json:"userId"`
	Act          actJSON   `json:"act"`
}

type actJSON struct {
	Sub string `json:"sub"`
}

func (a *api) impersonateAdminUser(w http.ResponseWriter, r *http.Request) {
	imp, err := a.cfg.Admin.Impersonate(r.Context(), r.PathValue("id"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, impersonationJSON{AccessToken: imp.AccessToken, TokenType: "Bearer",
		ExpiresIn: int(imp.ExpiresIn / time.Second), ExpiresAt: utcTime(imp.ExpiresAt), SessionID: imp.SessionID,
		UserID: imp.UserID, Act: actJSON{Sub: imp.ImpersonatorID}})
}
