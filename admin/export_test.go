package admin

import (
	"context"
	"time"
)

// CountDashboard counts the dashboard without the cache, for benchmarks.
func (s *Service) CountDashboard(ctx context.Context) (Dashboard, error) {
	return s.loadDashboard(ctx, s.cfg.Now().UTC())
}

// CountStats computes the statistics of the default window without the
// cache, for benchmarks.
func (s *Service) CountStats(ctx context.Context) (UserStats, error) {
	from, to, err := statsWindow(time.Time{}, time.Time{}, s.cfg.Now().UTC())
	if err != nil {
		return UserStats{}, err
	}
	counts, err := s.loadCounts(ctx)
	if err != nil {
		return UserStats{}, err
	}
	days, err := s.st.UserStats().SignupsPerDay(ctx, from, to)
	return UserStats{ByStatus: counts.byStatus, ByRole: counts.byRole, SignupsPerDay: everyDay(days, from, to), From: from, To: to}, err
}
