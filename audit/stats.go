package audit

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// Stats are the counts of a window by action and outcome.
type Stats struct {
	Window
	// Total is the number of entries in the window.
	Total int
	// ByOutcome counts the entries per outcome; every outcome is present.
	ByOutcome map[store.Outcome]int
	// Counts are per action and outcome, ordered by action, then outcome.
	Counts []store.AuditCount
}

// Stats counts the entries of w by action and outcome. It needs
// AUDIT_READ.
func (q *Query) Stats(ctx context.Context, w Window) (Stats, error) {
	if err := q.require(ctx, PermissionRead, "audit.read", ""); err != nil {
		return Stats{}, err
	}
	w, err := w.resolve(q.log.now())
	if err != nil {
		return Stats{}, err
	}
	counts, err := q.log.st.Audit().Stats(ctx, w.From, w.To)
	if err != nil {
		return Stats{}, err
	}
	out := Stats{Window: w, Counts: counts, ByOutcome: map[store.Outcome]int{
		store.OutcomeSuccess: 0, store.OutcomeFailure: 0, store.OutcomeDenied: 0}}
	for _, c := range counts {
		out.Total += c.Count
		out.ByOutcome[c.Outcome] += c.Count
	}
	return out, nil
}
