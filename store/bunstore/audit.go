package bunstore

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type auditModel struct {
	bun.BaseModel `bun:"table:audit_log,alias:a"`

	ID             string            `bun:"id,pk"`
	ActorID        string            `bun:"actor_id,nullzero"`
	ImpersonatorID string            `bun:"impersonator_id,nullzero"`
	Action         string            `bun:"action"`
	TargetID       string            `bun:"target_id,nullzero"`
	Outcome        string            `bun:"outcome"`
	IP             string            `bun:"ip,nullzero"`
	UserAgent      string            `bun:"user_agent,nullzero"`
	RequestID      string            `bun:"request_id,nullzero"`
	Metadata       map[string]string `bun:"metadata,type:text,nullzero"`
	CreatedAt      time.Time         `bun:"created_at"`
}

type auditLog struct{ repos }

func (r auditLog) Record(ctx context.Context, e *store.AuditEntry) error {
	if e.ID == "" {
		e.ID = newID()
	}
	e.CreatedAt = utc(e.CreatedAt)
	m := &auditModel{ID: e.ID, ActorID: e.ActorID, ImpersonatorID: e.ImpersonatorID, Action: e.Action,
		TargetID: e.TargetID, Outcome: string(e.Outcome), IP: e.IP, UserAgent: e.UserAgent,
		RequestID: e.RequestID, Metadata: e.Metadata, CreatedAt: e.CreatedAt}
	// An entry of an hour already rolled up marks that hour to roll again,
	// in the entry's transaction.
	err := r.atomic(ctx, func(t repos) error {
		if _, err := t.db.NewInsert().Model(m).Exec(ctx); err != nil {
			return err
		}
		return t.markDirty(ctx, floorDiv(e.CreatedAt.Unix(), hourSecs))
	})
	return translate(err, nil)
}

// filter applies f to q. It reports false when an
// id in f is not a UUID and so can match nothing: PostgreSQL would refuse
// to compare it.
func (r auditLog) filter(q *bun.SelectQuery, f store.AuditFilter) (*bun.SelectQuery, bool) {
	for _, id := range []string{f.ActorID, f.TargetID, f.UserID} {
		if id != "" && !validID(id) {
			return q, false
		}
	}
	if f.ActorID != "" {
		q = q.Where("a.actor_id = ?", f.ActorID)
	}
	if f.TargetID != "" {
		q = q.Where("a.target_id = ?", f.TargetID)
	}
	if f.UserID != "" {
		q = q.Where("(a.actor_id = ? OR a.target_id = ?)", f.UserID, f.UserID)
	}
	if f.Action != "" {
		q = q.Where("a.action = ?", f.Action)
	}
	if f.Outcome != "" {
		q = q.Where("a.outcome = ?", string(f.Outcome))
	}
	if f.IP != "" {
		q = q.Where("a.ip = ?", f.IP)
	}
	if !f.From.IsZero() {
		q = q.Where("a.created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("a.created_at < ?", f.To.UTC())
	}
	return q, true
}

// auditList offers the audit log newest first by default.
var auditList = listSpec[auditModel]{
	idCol: "a.id",
	def:   store.Sort{Field: "createdAt", Desc: true},
	sorts: map[string]sortKey[auditModel]{
		"createdAt": {expr: "a.created_at", at: func(m *auditModel) *time.Time { return &m.CreatedAt }},
	},
	id: func(m *auditModel) string { return m.ID },
}

func (r auditLog) List(ctx context.Context, f store.AuditFilter, req store.ListRequest) (store.Page[store.AuditEntry], error) {
	if f.UserID != "" && f.ActorID == "" && f.TargetID == "" && req.Page == 0 && !req.IncludeTotal && validID(f.UserID) {
		return r.listOfUser(ctx, f, req)
	}
	return r.page(ctx, req, func(q *bun.SelectQuery) (*bun.SelectQuery, bool) { return r.filter(q, f) })
}

func (r auditLog) page(ctx context.Context, req store.ListRequest, filter func(*bun.SelectQuery) (*bun.SelectQuery, bool)) (store.Page[store.AuditEntry], error) {
	return listPage(ctx, r.db, req, auditList, filter, func(m *auditModel) store.AuditEntry {
		return store.AuditEntry{ID: m.ID, ActorID: m.ActorID, ImpersonatorID: m.ImpersonatorID,
			Action: m.Action, TargetID: m.TargetID, Outcome: store.Outcome(m.Outcome), IP: m.IP,
			UserAgent: m.UserAgent, RequestID: m.RequestID, Metadata: m.Metadata, CreatedAt: m.CreatedAt}
	})
}

// listOfUser pages the entries naming the user as actor or target. One
// query with "actor_id = u OR target_id = u" cannot walk an index in
// (created_at, id) order, so every page would gather and sort all of the
// user's entries again: a long trail would cost its square. Instead the
// two branches (the user as actor; as target) are each paged by keyset on
// their own index, with the same cursor, and merged without duplicates.
func (r auditLog) listOfUser(ctx context.Context, f store.AuditFilter, req store.ListRequest) (store.Page[store.AuditEntry], error) {
	u := f.UserID
	f.UserID = ""
	asActor, asTarget := f, f
	asActor.ActorID, asTarget.TargetID = u, u
	a, err := r.page(ctx, req, func(q *bun.SelectQuery) (*bun.SelectQuery, bool) { return r.filter(q, asActor) })
	if err != nil {
		return a, err
	}
	// The target branch keeps the entries where the user is both: an
	// "actor is not the user" condition would make it scan past every one
	// of them on each page. The merge drops the duplicates instead.
	b, err := r.page(ctx, req, func(q *bun.SelectQuery) (*bun.SelectQuery, bool) { return r.filter(q, asTarget) })
	if err != nil {
		return b, err
	}
	sortReq, err := req.Resolve(auditList.def, auditList.fields()...)
	if err != nil {
		return store.Page[store.AuditEntry]{}, err
	}
	before := func(x, y store.AuditEntry) bool {
		if !x.CreatedAt.Equal(y.CreatedAt) {
			return x.CreatedAt.Before(y.CreatedAt) != sortReq.Sort.Desc
		}
		return (x.ID < y.ID) != sortReq.Sort.Desc
	}
	merged := make([]store.AuditEntry, 0, len(a.Items)+len(b.Items))
	i, j := 0, 0
	for i < len(a.Items) || j < len(b.Items) {
		if i < len(a.Items) && j < len(b.Items) && a.Items[i].ID == b.Items[j].ID {
			j++ // in both branches: the user acted on themself
			continue
		}
		if j == len(b.Items) || (i < len(a.Items) && before(a.Items[i], b.Items[j])) {
			merged = append(merged, a.Items[i])
			i++
		} else {
			merged = append(merged, b.Items[j])
			j++
		}
	}
	out := store.Page[store.AuditEntry]{Items: merged}
	more := a.NextCursor != "" || b.NextCursor != "" || len(merged) > sortReq.Limit
	if len(merged) > sortReq.Limit {
		out.Items = merged[:sortReq.Limit]
	}
	if more && len(out.Items) > 0 {
		last := out.Items[len(out.Items)-1]
		key := last.CreatedAt.UTC().Format(time.RFC3339Nano)
		out.NextCursor = store.Cursor{Sort: sortReq.Sort, Key: &key, ID: last.ID}.Encode()
	}
	return out, nil
}

func (r auditLog) Count(ctx context.Context, f store.AuditFilter) (int, error) {
	q, ok := r.filter(r.db.NewSelect().Model((*auditModel)(nil)), f)
	if !ok {
		return 0, nil
	}
	n, err := q.Count(ctx)
	return n, translate(err, nil)
}

func (r auditLog) DeleteBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var secs []int64
	err := r.atomic(ctx, func(t repos) error {
		ids := t.db.NewSelect().Model((*auditModel)(nil)).Column("id").
			Where("created_at < ?", utc(cutoff)).OrderExpr("created_at").Limit(limit)
		if t.onPostgres() {
			// Instances cleaning up at once take different batches
			// instead of queueing on the same rows.
			ids = ids.For("UPDATE SKIP LOCKED")
		}
		// The hours the batch takes from have to be rolled up again.
		err := t.db.NewDelete().Model((*auditModel)(nil)).Where("id IN (?)", ids).
			Returning(t.epochExpr("created_at")).Scan(ctx, &secs)
		if err != nil {
			return err
		}
		return t.markDirty(ctx, distinctHours(secs)...)
	})
	return len(secs), translate(err, nil)
}

// distinctHours turns times in seconds since the epoch into the hours
// they fall in, each once, in order.
func distinctHours(secs []int64) []int64 {
	hours := make([]int64, len(secs))
	for i, s := range secs {
		hours[i] = floorDiv(s, hourSecs)
	}
	slices.Sort(hours)
	return slices.Compact(hours)
}
