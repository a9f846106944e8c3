package store

import (
	"context"
	"time"
)

// Outcome is how an audited action ended.
type Outcome string

// Audit outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
	OutcomeDenied  Outcome = "denied"
)

// AuditEntry is one recorded action. Action is "area.verb", such as
// "auth.login".
type AuditEntry struct {
	ID             string
	ActorID        string
	ImpersonatorID string
	Action         string
	TargetID       string
	Outcome        Outcome
	IP             string
	UserAgent      string
	RequestID      string
	// Metadata holds small action-specific facts; never secrets.
	Metadata  map[string]string
	CreatedAt time.Time
}

// AuditFilter selects audit entries. Empty fields do not filter.
type AuditFilter struct {
	ActorID  string
	TargetID string
	// UserID matches entries whose actor or target is the user.
	UserID  string
	Action  string
	Outcome Outcome
	IP      string
	From    time.Time
	To      time.Time
}

// AuditStore persists the audit log.
type AuditStore interface {
	// Record appends e, assigning an ID when e.ID is empty.
	Record(ctx context.Context, e *AuditEntry) error
	// List returns one page of the entries matching f. It sorts by
	// "createdAt", newest first by default (ties by id); another sort
	// field is a Validation naming "sort".
	List(ctx context.Context, f AuditFilter, r ListRequest) (Page[AuditEntry], error)
	// Count returns how many entries match f.
	Count(ctx context.Context, f AuditFilter) (int, error)
	// Stats counts the entries of [from, to) by action and outcome,
	// ordered by action, then outcome.
	Stats(ctx context.Context, from, to time.Time) ([]AuditCount, error)
	// Series counts entries per bucket as q asks, in one pass over the
	// window. It returns the buckets that count anything, by index; a
	// Bucket that is not a positive whole number of seconds is a
	// Validation naming "interval".
	Series(ctx context.Context, q AuditSeries) ([]AuditBucket, error)
	// DeleteBefore deletes at most limit entries older than cutoff, the
	// oldest first, and returns how many. Concurrent calls (several
	// instances) delete different entries rather than waiting on each
	// other where the database can skip locked rows.
	DeleteBefore(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// RollUp does one bounded step of keeping the rollups that Stats and
	// Series read for closed hours: it first re-rolls the hours that
	// changed after they were rolled up (a late entry, a deletion), then
	// rolls up the hours that ended before until, at most a week of them.
	// It reports whether more work remains. When another instance holds
	// the rollup step it returns at once with nothing done. Stats and
	// Series answer exactly the same with or without rollups.
	RollUp(ctx context.Context, until time.Time) (more bool, err error)
	// Pseudonymize rewrites every entry that names the user: the user's
	// id, as actor, target or impersonator, becomes pseudonym (the same for
	// all of them, so counts still add up), the IP and user agent are
	// removed, and metadata values that contain one of personal (ignoring
	// letter case) or whose key names personal data (an email, a name, a
	// phone number, an address) are replaced by "[erased]". It returns how
	// many entries it changed.
	Pseudonymize(ctx context.Context, userID, pseudonym string, personal []string) (int, error)
}
