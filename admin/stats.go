package admin

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// DefaultStatsTTL is how long the dashboard and the user counts of the
// statistics are served from memory when Config.StatsTTL is zero.
const DefaultStatsTTL = 10 * time.Second

// MaxStatsWindow is the longest window of sign-ups per day.
const MaxStatsWindow = 366 * 24 * time.Hour

// statuses are every status, so that counts show zeros too.
var statuses = []store.Status{store.StatusActive, store.StatusDeactivated, store.StatusSuspended, store.StatusLocked, store.StatusDeleted}

// Dashboard is the overview of GET /admin/dashboard.
type Dashboard struct {
	UsersByStatus map[store.Status]int // every status, zeros included
	TotalUsers    int
	// NewToday, New7Days and New30Days count users created since
	// midnight UTC and in the last 7 and 30 days.
	NewToday, New7Days, New30Days int
	Verified                      int
	TwoFactor                     int
	ActiveSessions                int
	// LoginsToday and FailedLoginsToday count the audit log's successful
	// (auth.login, auth.login_2fa) and failed (auth.login) sign-ins since
	// midnight UTC.
	LoginsToday, FailedLoginsToday int
	// GeneratedAt is when the counts were taken: up to StatsTTL ago.
	GeneratedAt time.Time
}

// UserStats are the statistics of GET /admin/users/stats.
type UserStats struct {
	ByStatus map[store.Status]int // every status, zeros included
	ByRole   map[string]int       // role name -> holders, every role
	// SignupsPerDay has one entry per UTC day of [From, To), empty days
	// as zeros.
	SignupsPerDay []store.DayCount
	From, To      time.Time
}

// statsCache keeps one value for a few seconds. Only the first caller
// waits for it to be counted; once it is older than the TTL, callers get
// it at once while one background refresh counts anew
// (stale-while-revalidate), so no request pays for a count at a million
// users after the first.
type statsCache[T any] struct {
	mu         sync.Mutex
	value      T
	at         time.Time
	ok         bool
	refreshing bool
}

// get returns the value, loading it when there is none yet and starting
// a refresh when it is older than ttl. A refresh that fails keeps the old
// value and is logged.
func (c *statsCache[T]) get(ctx context.Context, now time.Time, ttl time.Duration, log *slog.Logger, load func(context.Context) (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok {
		v, err := load(ctx)
		if err != nil {
			return v, err
		}
		c.value, c.at, c.ok = v, now, true
		return v, nil
	}
	if (now.Sub(c.at) >= ttl || now.Before(c.at)) && !c.refreshing {
		c.refreshing = true
		go c.refresh(context.WithoutCancel(ctx), now, log, load)
	}
	return c.value, nil
}

func (c *statsCache[T]) refresh(ctx context.Context, now time.Time, log *slog.Logger, load func(context.Context) (T, error)) {
	v, err := load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err != nil {
		log.ErrorContext(ctx, "admin statistics refresh failed", "err", err)
		return
	}
	c.value, c.at = v, now
}

// Dashboard returns the overview counts as the actor in ctx, who needs
// ADMIN_ACCESS. The counts are indexed queries (migration 0011) served
// from memory: after Config.StatsTTL (default 10 s) the next call starts
// a background recount and gets the previous counts meanwhile, so a busy
// admin screen costs the database one round of queries per TTL and only
// the first call waits for one.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	if _, err := s.cfg.RBAC.Require(ctx, rbac.AdminAccess, "admin.dashboard", ""); err != nil {
		return Dashboard{}, err
	}
	now := s.cfg.Now().UTC()
	return s.dashboard.get(ctx, now, s.cfg.StatsTTL, s.cfg.Logger, func(ctx context.Context) (Dashboard, error) {
		return s.loadDashboard(ctx, now)
	})
}

func (s *Service) loadDashboard(ctx context.Context, now time.Time) (Dashboard, error) {
	counts, err := s.st.UserStats().Counts(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	today := now.Truncate(24 * time.Hour)
	created, err := s.st.UserStats().CreatedSince(ctx, today, now.Add(-7*24*time.Hour), now.Add(-30*24*time.Hour))
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{UsersByStatus: withAllStatuses(counts.ByStatus), NewToday: created[0], New7Days: created[1], New30Days: created[2],
		Verified: counts.Verified, TwoFactor: counts.TwoFactor, GeneratedAt: now}
	for _, n := range counts.ByStatus {
		d.TotalUsers += n
	}
	if d.ActiveSessions, err = s.st.UserStats().LiveSessions(ctx, now); err != nil {
		return Dashboard{}, err
	}
	if d.LoginsToday, err = s.countAudit(ctx, today, store.OutcomeSuccess, "auth.login", "auth.login_2fa"); err != nil {
		return Dashboard{}, err
	}
	d.FailedLoginsToday, err = s.countAudit(ctx, today, store.OutcomeFailure, "auth.login")
	return d, err
}

// countAudit counts the entries of the actions with the outcome since.
func (s *Service) countAudit(ctx context.Context, since time.Time, outcome store.Outcome, actions ...string) (int, error) {
	total := 0
	for _, a := range actions {
		n, err := s.st.Audit().Count(ctx, store.AuditFilter{Action: a, Outcome: outcome, From: since})
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func withAllStatuses(m map[store.Status]int) map[store.Status]int {
	out := make(map[store.Status]int, len(statuses))
	for _, st := range statuses {
		out[st] = m[st]
	}
	return out
}

// Stats returns the users by status and by role, and the sign-ups per
// UTC day of [from, to), as the actor in ctx, who needs USER_READ. A zero
// to is the end of today (midnight UTC next), a zero from 30 days before
// to, so that the default is the last 30 whole days, today included; from must be before to and
// the window at most MaxStatsWindow (a Validation naming the field).
// The counts by status and role, and the whole answer for the default
// window, are served from memory as the dashboard's are; the sign-ups of
// another window are an indexed range query.
func (s *Service) Stats(ctx context.Context, from, to time.Time) (UserStats, error) {
	if _, err := s.cfg.RBAC.Require(ctx, rbac.UserRead, "admin.users.stats", ""); err != nil {
		return UserStats{}, err
	}
	now := s.cfg.Now().UTC()
	if from.IsZero() && to.IsZero() {
		// The default window is what admin screens ask for: cached whole.
		return s.defaultStats.get(ctx, now, s.cfg.StatsTTL, s.cfg.Logger, func(ctx context.Context) (UserStats, error) {
			return s.countStats(ctx, now, from, to)
		})
	}
	return s.countStats(ctx, now, from, to)
}

// countStats computes the statistics of a window, the counts by status
// and role from their cache.
func (s *Service) countStats(ctx context.Context, now, from, to time.Time) (UserStats, error) {
	from, to, err := statsWindow(from, to, now)
	if err != nil {
		return UserStats{}, err
	}
	counts, err := s.userCounts.get(ctx, now, s.cfg.StatsTTL, s.cfg.Logger, s.loadCounts)
	if err != nil {
		return UserStats{}, err
	}
	days, err := s.st.UserStats().SignupsPerDay(ctx, from, to)
	if err != nil {
		return UserStats{}, err
	}
	return UserStats{ByStatus: counts.byStatus, ByRole: counts.byRole, SignupsPerDay: everyDay(days, from, to), From: from, To: to}, nil
}

func statsWindow(from, to, now time.Time) (time.Time, time.Time, error) {
	if to.IsZero() {
		to = now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	from, to = from.UTC(), to.UTC()
	switch {
	case !from.Before(to):
		return from, to, store.Validation(store.FieldError{Field: "to", Message: "must be after from"})
	case to.Sub(from) > MaxStatsWindow:
		return from, to, store.Validation(store.FieldError{Field: "from", Message: "the window must be at most 366 days"})
	}
	return from, to, nil
}

// everyDay lists every UTC day from from's to the one before to, with
// the counts of days and zeros for the others.
func everyDay(days []store.DayCount, from, to time.Time) []store.DayCount {
	byDay := make(map[time.Time]int, len(days))
	for _, d := range days {
		byDay[d.Day] = d.Count
	}
	var out []store.DayCount
	for d := from.Truncate(24 * time.Hour); d.Before(to); d = d.Add(24 * time.Hour) {
		out = append(out, store.DayCount{Day: d, Count: byDay[d]})
	}
	return out
}

type statusRoleCounts struct {
	byStatus map[store.Status]int
	byRole   map[string]int
}

func (s *Service) loadCounts(ctx context.Context) (statusRoleCounts, error) {
	counts, err := s.st.UserStats().Counts(ctx)
	if err != nil {
		return statusRoleCounts{}, err
	}
	roles, err := s.st.Roles().List(ctx)
	if err != nil {
		return statusRoleCounts{}, err
	}
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	n, err := s.st.Roles().UserCounts(ctx, ids)
	if err != nil {
		return statusRoleCounts{}, err
	}
	byRole := make(map[string]int, len(roles))
	for _, r := range roles {
		byRole[r.Name] = n[r.ID]
	}
	return statusRoleCounts{byStatus: withAllStatuses(counts.ByStatus), byRole: byRole}, nil
}
