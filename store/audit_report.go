package store

import "time"

// AuditCount is how many entries of a window have one action and outcome.
type AuditCount struct {
	Action  string
	Outcome Outcome
	Count   int
}

// AuditCounter says which entries one series of an AuditSeries counts.
// Empty fields do not restrict.
type AuditCounter struct {
	Actions  []string
	Outcomes []Outcome
	// ExceptKey and ExceptValue leave out the entries whose metadata holds
	// that key with that value (a login that only asked for a second
	// factor, say).
	ExceptKey, ExceptValue string
	// DistinctActors counts the distinct actors of the matching entries
	// instead of the entries; entries without an actor do not count.
	DistinctActors bool
}

// AuditSeries asks for counts per fixed-width bucket of [From, To).
// Bucket i covers [From+i*Bucket, From+(i+1)*Bucket).
type AuditSeries struct {
	From, To time.Time
	// Bucket is the width of a bucket, a whole number of seconds.
	Bucket   time.Duration
	Counters []AuditCounter
}

// AuditBucket holds the counts of one bucket, one per counter of the
// AuditSeries in its order.
type AuditBucket struct {
	Index  int
	Counts []int
}
