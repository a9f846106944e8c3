package bunstore

import (
	"context"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// PlainStats is Stats from audit_log alone, without rollups: the answer
// the rollups must give.
func PlainStats(ctx context.Context, s *Store, from, to time.Time) ([]store.AuditCount, error) {
	return auditLog{repos{s: s, db: s.db}}.plainStats(ctx, from, to)
}

// PlainSeries is Series from audit_log alone, without rollups.
func PlainSeries(ctx context.Context, s *Store, q store.AuditSeries) ([]store.AuditBucket, error) {
	return auditLog{repos{s: s, db: s.db}}.plainSeries(ctx, q)
}
