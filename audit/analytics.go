package audit

import (
	"context"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Interval is the width of an analytics bucket.
type Interval string

// The intervals Analytics offers. Buckets start on whole hours, at
// midnight UTC, and on Mondays at midnight UTC (ISO weeks).
const (
	Hour Interval = "hour"
	Day  Interval = "day"
	Week Interval = "week"
)

// MaxBuckets caps how many buckets one Analytics call returns (a year by
// day fits; a year by hour does not).
const MaxBuckets = 2000

// The audit actions analytics reads, as the auth service writes them.
const (
	actionLogin    = "auth.login"
	actionLogin2FA = "auth.login_2fa"
	actionRegister = "auth.register"
)

// Bucket is one interval of a time series.
type Bucket struct {
	Start, End time.Time
	// SuccessfulLogins counts sign-ins that opened a session: a password
	// login without a second factor, or a completed second-factor step
	// (the password step that only asked for the code does not count).
	SuccessfulLogins int
	// FailedLogins counts refused sign-ins: a wrong password or code, a
	// locked, deactivated, suspended or deleted account.
	FailedLogins int
	// SignUps counts successful registrations.
	SignUps int
	// ActiveUsers counts the distinct users who did anything successfully
	// (signed in, refreshed a token, changed something).
	ActiveUsers int
}

// Analytics is a time series over a window.
type Analytics struct {
	// Window is the window asked for, widened to whole buckets.
	Window
	Interval Interval
	// Buckets cover the window in order, empty ones included as zeros.
	Buckets []Bucket
}

// seriesCounters are the counters of a Bucket, in its field order.
var seriesCounters = []store.AuditCounter{
	{Actions: []string{actionLogin, actionLogin2FA}, Outcomes: []store.Outcome{store.OutcomeSuccess},
		ExceptKey: "mfa", ExceptValue: "required"},
	{Actions: []string{actionLogin, actionLogin2FA}, Outcomes: []store.Outcome{store.OutcomeFailure, store.OutcomeDenied}},
	{Actions: []string{actionRegister}, Outcomes: []store.Outcome{store.OutcomeSuccess}},
	{Outcomes: []store.Outcome{store.OutcomeSuccess}, DistinctActors: true},
}

// Analytics returns logins, failed logins, sign-ups and active users per
// interval over w (default: the last 30 days by day). The window is
// widened to whole buckets in UTC. It needs AUDIT_READ.
func (q *Query) Analytics(ctx context.Context, w Window, iv Interval) (Analytics, error) {
	if err := q.require(ctx, PermissionRead, "audit.read", ""); err != nil {
		return Analytics{}, err
	}
	if iv == "" {
		iv = Day
	}
	width, ok := map[Interval]time.Duration{Hour: time.Hour, Day: 24 * time.Hour, Week: 7 * 24 * time.Hour}[iv]
	if !ok {
		return Analytics{}, store.Validation(store.FieldError{Field: "interval", Message: "must be hour, day or week"})
	}
	w, err := w.resolve(q.log.now())
	if err != nil {
		return Analytics{}, err
	}
	w.From = bucketStart(w.From, iv)
	n := int((w.To.Sub(w.From) + width - 1) / width)
	if n > MaxBuckets {
		return Analytics{}, store.Validation(store.FieldError{Field: "interval", Message: "gives too many buckets for this window; use a wider interval or a shorter window"})
	}
	w.To = w.From.Add(time.Duration(n) * width)
	rows, err := q.log.st.Audit().Series(ctx, store.AuditSeries{From: w.From, To: w.To, Bucket: width, Counters: seriesCounters})
	if err != nil {
		return Analytics{}, err
	}
	out := Analytics{Window: w, Interval: iv, Buckets: make([]Bucket, n)}
	for i := range out.Buckets {
		start := w.From.Add(time.Duration(i) * width)
		out.Buckets[i] = Bucket{Start: start, End: start.Add(width)}
	}
	for _, r := range rows {
		if r.Index < 0 || r.Index >= n {
			continue
		}
		b := &out.Buckets[r.Index]
		b.SuccessfulLogins, b.FailedLogins, b.SignUps, b.ActiveUsers = r.Counts[0], r.Counts[1], r.Counts[2], r.Counts[3]
	}
	return out, nil
}

// bucketStart is the start of the bucket holding t.
func bucketStart(t time.Time, iv Interval) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch iv {
	case Hour:
		return t.Truncate(time.Hour)
	case Week:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	}
	return day
}
