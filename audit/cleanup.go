package audit

import (
	"context"
	"strconv"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// CleanupBatch is how many entries one delete statement of Cleanup
// removes, so that no statement holds long locks.
const CleanupBatch = 1000

// Cleanup deletes the entries older than olderThanDays days (at least 1),
// in batches, and records one "audit.cleanup" entry saying how many went.
// It needs SYSTEM_MANAGE; the retention job runs it as store.SystemActor.
// Several instances may run it at once: each batch takes rows no other
// instance holds. When ctx ends between batches it stops and reports what
// it deleted so far.
func (q *Query) Cleanup(ctx context.Context, olderThanDays int) (int, error) {
	if err := q.require(ctx, PermissionManage, "audit.cleanup", ""); err != nil {
		return 0, err
	}
	if olderThanDays < 1 {
		return 0, store.Validation(store.FieldError{Field: "olderThanDays", Message: "must be a whole number of at least 1"})
	}
	cutoff := q.log.now().Add(-time.Duration(olderThanDays) * 24 * time.Hour)
	total := 0
	for ctx.Err() == nil {
		n, err := q.log.st.Audit().DeleteBefore(ctx, cutoff, CleanupBatch)
		total += n
		if err != nil {
			return total, err
		}
		if n < CleanupBatch {
			break
		}
	}
	err := q.log.RecordNow(context.WithoutCancel(ctx), Entry{Action: "audit.cleanup",
		Metadata: map[string]string{"olderThanDays": strconv.Itoa(olderThanDays), "deleted": strconv.Itoa(total)}})
	return total, err
}
