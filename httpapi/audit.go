package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

type auditEntryJSON struct {
	ID             string            `json:"id"`
	ActorID        *string           `json:"actorId"`
	ImpersonatorID *string           `json:"impersonatorId"`
	Action         string            `json:"action"`
	TargetID       *string           `json:"targetId"`
	Outcome        string            `json:"outcome"`
	IP             *string           `json:"ip"`
	UserAgent      *string           `json:"userAgent"`
	RequestID      *string           `json:"requestId"`
	Metadata       map[string]string `json:"metadata"`
	CreatedAt      time.Time         `json:"createdAt"`
}

func toAuditEntryJSON(e store.AuditEntry) auditEntryJSON {
	var md map[string]string
	if len(e.Metadata) > 0 {
		md = e.Metadata
	}
	return auditEntryJSON{ID: e.ID, ActorID: nullable(e.ActorID), ImpersonatorID: nullable(e.ImpersonatorID),
		Action: e.Action, TargetID: nullable(e.TargetID), Outcome: string(e.Outcome), IP: nullable(e.IP),
		UserAgent: nullable(e.UserAgent), RequestID: nullable(e.RequestID), Metadata: md, CreatedAt: utcTime(e.CreatedAt)}
}

// parseAuditFilter reads GET /audit's filters. Ids are passed on as they
// are: one that is not an id matches nothing.
func parseAuditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{ActorID: q.Get("actorId"), TargetID: q.Get("targetId"), Action: q.Get("action"),
		Outcome: store.Outcome(q.Get("outcome")), IP: q.Get("ip")}
	var fields []store.FieldError
	switch f.Outcome {
	case "", store.OutcomeSuccess, store.OutcomeFailure, store.OutcomeDenied:
	default:
		fields = append(fields, store.FieldError{Field: "outcome", Message: "must be success, failure or denied"})
	}
	w, errs := parseWindow(q)
	f.From, f.To = w.From, w.To
	fields = append(fields, errs...)
	if len(fields) > 0 {
		return f, store.Validation(fields...)
	}
	return f, nil
}

// parseWindow reads from and to (RFC 3339); absent ones stay zero.
func parseWindow(q url.Values) (audit.Window, []store.FieldError) {
	var w audit.Window
	var fields []store.FieldError
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &w.From}, {"to", &w.To}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			fields = append(fields, store.FieldError{Field: p.name, Message: "must be an RFC 3339 time such as 2030-01-02T03:04:05Z"})
			continue
		}
		*p.dst = t
	}
	return w, fields
}

func (a *api) listAudit(w http.ResponseWriter, r *http.Request) {
	f, err := parseAuditFilter(r.URL.Query())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	a.writeAuditPage(w, r, func(req store.ListRequest) (store.Page[store.AuditEntry], error) {
		return a.cfg.AuditQuery.List(r.Context(), f, req)
	})
}

func (a *api) userAudit(w http.ResponseWriter, r *http.Request) {
	a.writeAuditPage(w, r, func(req store.ListRequest) (store.Page[store.AuditEntry], error) {
		return a.cfg.AuditQuery.OfUser(r.Context(), r.PathValue("userId"), req)
	})
}

func (a *api) writeAuditPage(w http.ResponseWriter, r *http.Request, list func(store.ListRequest) (store.Page[store.AuditEntry], error)) {
	req, err := parseStoreList(r.URL.Query())
	if err != nil {
		a.problem(w, r, err)
		return
	}
	page, err := list(req)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, storeListJSON(page, toAuditEntryJSON))
}

type auditCountJSON struct {
	Action  string `json:"action"`
	Outcome string `json:"outcome"`
	Count   int    `json:"count"`
}

type auditStatsJSON struct {
	From      time.Time        `json:"from"`
	To        time.Time        `json:"to"`
	Total     int              `json:"total"`
	ByOutcome map[string]int   `json:"byOutcome"`
	Counts    []auditCountJSON `json:"counts"`
}

func (a *api) auditStats(w http.ResponseWriter, r *http.Request) {
	win, fields := parseWindow(r.URL.Query())
	if len(fields) > 0 {
		a.problem(w, r, store.Validation(fields...))
		return
	}
	s, err := a.cfg.AuditQuery.Stats(r.Context(), win)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	out := auditStatsJSON{From: utcTime(s.From), To: utcTime(s.To), Total: s.Total,
		ByOutcome: map[string]int{}, Counts: make([]auditCountJSON, len(s.Counts))}
	for o, n := range s.ByOutcome {
		out.ByOutcome[string(o)] = n
	}
	for i, c := range s.Counts {
		out.Counts[i] = auditCountJSON{Action: c.Action, Outcome: string(c.Outcome), Count: c.Count}
	}
	writeJSON(w, http.StatusOK, out)
}

type auditBucketJSON struct {
	Start            time.Time `json:"start"`
	End              time.Time `json:"end"`
	SuccessfulLogins int       `json:"successfulLogins"`
	FailedLogins     int       `json:"failedLogins"`
	SignUps          int       `json:"signUps"`
	ActiveUsers      int       `json:"activeUsers"`
}

type auditAnalyticsJSON struct {
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
	Interval string            `json:"interval"`
	Buckets  []auditBucketJSON `json:"buckets"`
}

func (a *api) auditAnalytics(w http.ResponseWriter, r *http.Request) {
	win, fields := parseWindow(r.URL.Query())
	if len(fields) > 0 {
		a.problem(w, r, store.Validation(fields...))
		return
	}
	an, err := a.cfg.AuditQuery.Analytics(r.Context(), win, audit.Interval(r.URL.Query().Get("interval")))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	out := auditAnalyticsJSON{From: an.From, To: an.To, Interval: string(an.Interval), Buckets: make([]auditBucketJSON, len(an.Buckets))}
	for i, b := range an.Buckets {
		out.Buckets[i] = auditBucketJSON{Start: b.Start, End: b.End, SuccessfulLogins: b.SuccessfulLogins,
			FailedLogins: b.FailedLogins, SignUps: b.SignUps, ActiveUsers: b.ActiveUsers}
	}
	writeJSON(w, http.StatusOK, out)
}

type auditCleanupRequest struct {
	OlderThanDays *int `json:"olderThanDays"`
}

func (a *api) auditCleanup(w http.ResponseWriter, r *http.Request) {
	var req auditCleanupRequest
	if err := a.decodeJSON(r, &req); err != nil {
		a.problem(w, r, err)
		return
	}
	if req.OlderThanDays == nil {
		a.problem(w, r, store.Validation(store.FieldError{Field: "olderThanDays", Message: "is required"}))
		return
	}
	n, err := a.cfg.AuditQuery.Cleanup(r.Context(), *req.OlderThanDays)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}
