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
	// DeleteBefore deletes at most limit entries older than cutoff and
	// returns how many.
	DeleteBefore(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// Anonymize removes the user's id, IP and user agent from every entry
	// that names the user, and returns how many it changed.
	Anonymize(ctx context.Context, userID string) (int, error)
}
