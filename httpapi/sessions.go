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

func (a *api) listSessions(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, err := a.cfg.Sessions.List(r.Context(), p.UserID, p.SessionID)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	items := make([]sessionJSON, len(list))
	for i, s := range list {
		items[i] = toSessionJSON(s)
	}
	writeList(a, w, r, items, map[string]func(sessionJSON) string{
		"createdAt":  func(s sessionJSON) string { return s.CreatedAt.Format(time.RFC3339Nano) },
		"lastSeenAt": func(s sessionJSON) string { return s.LastSeenAt.Format(time.RFC3339Nano) },
	})
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
