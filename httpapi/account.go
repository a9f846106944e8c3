package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/usermgmt/usermgmt/users"
)

// passwordRequest is the body of the signed-in account routes: the
// current password, required even on a recent session.
type passwordRequest struct {
	Password string `json:"password"`
}

// credentialsRequest is the body of the anonymous account routes.
type credentialsRequest struct {
	Identifier string `json:"identifier"`
	Password   string `json:"password"`
}

type purgeAfterJSON struct {
	PurgeAfter time.Time `json:"purgeAfter"`
}

func (a *api) deactivateAccount(w http.ResponseWriter, r *http.Request) {
	var in passwordRequest
	if !a.decode(w, r, &in) {
		return
	}
	if err := a.cfg.Account.Deactivate(r.Context(), principal(r).UserID, in.Password); err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "deactivated"})
}

func (a *api) deleteAccount(w http.ResponseWriter, r *http.Request) {
	var in passwordRequest
	if !a.decode(w, r, &in) {
		return
	}
	purgeAfter, err := a.cfg.Account.Delete(r.Context(), principal(r).UserID, in.Password)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, purgeAfterJSON{PurgeAfter: utcTime(purgeAfter)})
}

func (a *api) permanentDeleteAccount(w http.ResponseWriter, r *http.Request) {
	var in passwordRequest
	if !a.decode(w, r, &in) {
		return
	}
	if err := a.cfg.Account.PermanentDelete(r.Context(), principal(r).UserID, in.Password); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) reactivateAccount(w http.ResponseWriter, r *http.Request) {
	a.restoreAccount(w, r, a.cfg.Account.Reactivate)
}

func (a *api) recoverAccount(w http.ResponseWriter, r *http.Request) {
	a.restoreAccount(w, r, a.cfg.Account.Recover)
}

// restoreAccount serves reactivate and recover: limited as login is, per
// identifier and per client, since each checks a password.
func (a *api) restoreAccount(w http.ResponseWriter, r *http.Request, restore func(ctx context.Context, identifier, password string) (*users.Profile, error)) {
	var in credentialsRequest
	if !a.decode(w, r, &in) || !a.limitIdentity(w, r, "login", in.Identifier) {
		return
	}
	p, err := restore(r.Context(), in.Identifier, in.Password)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, toUserJSON(p.User, p.Roles))
}
