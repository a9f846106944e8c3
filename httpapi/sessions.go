package httpapi

import (
	"net/http"
	"time"

	"github.com/usermgmt/usermgmt/sessions"
)

type sessionJSON struct {
	ID         string    `json:"id"`
	DeviceName *string   `json:"deviceName"`
	IP         *string   `json:"ip"`
	UserAgent  *string   `json:"userAgent"`
	CreatedAt  time.Time `json:"createdAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	Current    bool      `json:"current"`
}

func toSessionJSON(s sessions.Info) sessionJSON {
	return sessionJSON{ID: s.ID, DeviceName: nullable(s.DeviceName), IP: nullable(s.IP),
		UserAgent: nullable(s.UserAgent), CreatedAt: utcTime(s.CreatedAt), LastSeenAt: utcTime(s.LastSeenAt),
		Current: s.Current}
}

// listSessions answers a page the store cut: live sessions, sortable by
// createdAt (default, newest first) and lastSeenAt.
func (a *api) listSessions(w http.ResponseWriter, r *http.Request) {
	req, err := parseStoreList(r.URL.Query())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	p := principal(r)
	page, err := a.cfg.Sessions.List(r.Context(), p.UserID, p.SessionID, req)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, storeListJSON(page, toSessionJSON))
}

func (a *api) revokeSession(w http.ResponseWriter, r *http.Request) {
	if err := a.cfg.Sessions.Revoke(r.Context(), principal(r).UserID, r.PathValue("id")); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	n, err := a.cfg.Sessions.RevokeOthers(r.Context(), p.UserID, p.SessionID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}
