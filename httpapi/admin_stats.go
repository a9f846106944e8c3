package httpapi

import (
	"net/http"
	"time"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/store"
)

type dashboardJSON struct {
	Users struct {
		Total    int            `json:"total"`
		ByStatus map[string]int `json:"byStatus"`
	} `json:"users"`
	NewUsers struct {
		Today      int `json:"today"`
		Last7Days  int `json:"last7Days"`
		Last30Days int `json:"last30Days"`
	} `json:"newUsers"`
	Verified          int       `json:"verified"`
	TwoFactorEnabled  int       `json:"twoFactorEnabled"`
	ActiveSessions    int       `json:"activeSessions"`
	LoginsToday       int       `json:"loginsToday"`
	FailedLoginsToday int       `json:"failedLoginsToday"`
	GeneratedAt       time.Time `json:"generatedAt"`
}

func (a *api) dashboard(w http.ResponseWriter, r *http.Request) {
	d, err := a.cfg.Admin.Dashboard(r.Context())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	var out dashboardJSON
	out.Users.Total, out.Users.ByStatus = d.TotalUsers, statusCounts(d.UsersByStatus)
	out.NewUsers.Today, out.NewUsers.Last7Days, out.NewUsers.Last30Days = d.NewToday, d.New7Days, d.New30Days
	out.Verified, out.TwoFactorEnabled, out.ActiveSessions = d.Verified, d.TwoFactor, d.ActiveSessions
	out.LoginsToday, out.FailedLoginsToday, out.GeneratedAt = d.LoginsToday, d.FailedLoginsToday, utcTime(d.GeneratedAt)
	writeJSON(w, http.StatusOK, out)
}

func statusCounts(m map[store.Status]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

type dayCountJSON struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}

type userStatsJSON struct {
	ByStatus      map[string]int `json:"byStatus"`
	ByRole        map[string]int `json:"byRole"`
	SignupsPerDay []dayCountJSON `json:"signupsPerDay"`
	From          time.Time      `json:"from"`
	To            time.Time      `json:"to"`
}

func (a *api) userStats(w http.ResponseWriter, r *http.Request) {
	var fields []store.FieldError
	var window [2]time.Time
	for i, name := range []string{"from", "to"} {
		if v := r.URL.Query().Get(name); v != "" {
			t, ok := parseFilterTime(v)
			if !ok {
				fields = append(fields, store.FieldError{Field: name, Message: "must be an RFC 3339 time or a date (YYYY-MM-DD)"})
			}
			window[i] = t
		}
	}
	if len(fields) > 0 {
		a.problem(w, r, store.Validation(fields...))
		return
	}
	st, err := a.cfg.Admin.Stats(r.Context(), window[0], window[1])
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserStatsJSON(st))
}

func toUserStatsJSON(st admin.UserStats) userStatsJSON {
	out := userStatsJSON{ByStatus: statusCounts(st.ByStatus), ByRole: st.ByRole,
		SignupsPerDay: make([]dayCountJSON, len(st.SignupsPerDay)), From: utcTime(st.From), To: utcTime(st.To)}
	for i, d := range st.SignupsPerDay {
		out.SignupsPerDay[i] = dayCountJSON{Date: d.Day.Format(time.DateOnly), Count: d.Count}
	}
	return out
}
