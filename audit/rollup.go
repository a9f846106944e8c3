package audit

import (
	"context"
	"time"
)

// RollupGrace is how long after an hour ends RollUp waits before rolling
// it up, so that entries written just before the hour ended by
// transactions that commit a little later are in. An entry that still
// arrives for a rolled-up hour (a transaction open longer, a back-dated
// entry, a retention delete) marks the hour, which Stats and Analytics
// then read from the log itself until the next RollUp rolls it again: the
// answers stay exact either way.
const RollupGrace = 5 * time.Minute

// RollUp brings the rollups that Stats and Analytics read up to date: the
// hours that changed are rolled again, then the hours that ended
// RollupGrace ago or earlier are rolled up, a week at a time, each step its
// own short transaction. Several instances may run it at once (one works,
// the others return). It needs SYSTEM_MANAGE; Manager.Run runs it as
// store.SystemActor. When ctx ends between steps it stops, and the next
// call carries on.
func (q *Query) RollUp(ctx context.Context) error {
	if err := q.require(ctx, PermissionManage, "audit.rollup", ""); err != nil {
		return err
	}
	until := q.log.now().Add(-RollupGrace)
	for ctx.Err() == nil {
		more, err := q.log.st.Audit().RollUp(ctx, until)
		if err != nil || !more {
			return err
		}
	}
	return ctx.Err()
}
