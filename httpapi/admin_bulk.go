package httpapi

import (
	"context"
	"net/http"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/store"
)

type bulkRequest struct {
	UserIDs []string `json:"userIds"`
}

type bulkRoleRequest struct {
	UserIDs []string `json:"userIds"`
	RoleID  string   `json:"roleId"`
}

type bulkFailureJSON struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

type bulkResultJSON struct {
	Succeeded int               `json:"succeeded"`
	Failed    []bulkFailureJSON `json:"failed"`
}

func toBulkJSON(res admin.BulkResult) bulkResultJSON {
	out := bulkResultJSON{Succeeded: res.Succeeded, Failed: make([]bulkFailureJSON, len(res.Failed))}
	for i, f := range res.Failed {
		out.Failed[i] = bulkFailureJSON{ID: f.ID, Code: f.Code}
	}
	return out
}

// bulkCall is a bulk status method of the admin service.
type bulkCall = func(context.Context, []string) (admin.BulkResult, error)

// bulkStatus serves the bulk status routes: activate, deactivate, delete.
func (a *api) bulkStatus(call func(*admin.Service) bulkCall) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in bulkRequest
		if !a.decode(w, r, &in) {
			return
		}
		res, err := call(a.cfg.Admin)(r.Context(), in.UserIDs)
		if err != nil {
			a.problem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toBulkJSON(res))
	}
}

func (a *api) bulkAssignRole(w http.ResponseWriter, r *http.Request) {
	var in bulkRoleRequest
	if !a.decode(w, r, &in) {
		return
	}
	if in.RoleID == "" {
		a.problem(w, r, store.Validation(store.FieldError{Field: "roleId", Message: "is required"}))
		return
	}
	res, err := a.cfg.Admin.BulkAssignRole(r.Context(), in.UserIDs, in.RoleID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toBulkJSON(res))
}
