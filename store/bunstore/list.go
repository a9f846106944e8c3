package bunstore

import (
	"context"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

// sortKey is one order a list offers. Rows are ordered by the key and then
// by id in the same direction, and paged by keyset:
//
//	WHERE (key, id) < (?, ?) ORDER BY key DESC, id DESC LIMIT n+1
//
// which PostgreSQL and SQLite (3.15 and later) both understand and both
// answer from an index on (key, id).
type sortKey[R any] struct {
	// expr is the SQL expression of the key, with the table alias.
	expr string
	// nullable keys put the rows without a key last in either direction.
	// They are ordered by (expr IS NULL) first rather than with NULLS LAST
	// so that one index per direction, with the same expression, serves
	// both databases (SQLite's CREATE INDEX has no NULLS LAST).
	nullable bool
	// at reads a timestamp key from a row. When it is nil the key is text
	// and is selected as the column sort_key, so that the cursor holds the
	// value the database compares (lower() differs between databases).
	at func(*R) *time.Time
}

// listSpec is what paging a table needs to know.
type listSpec[R any] struct {
	// idCol is the id column, with the table alias.
	idCol string
	// def is the order of a request without a Sort.
	def store.Sort
	// sorts are the orders offered, by the field name clients use.
	sorts map[string]sortKey[R]
	// id reads the id of a row.
	id func(*R) string
	// text reads the selected sort_key of a row; needed only when a sort
	// has a text key.
	text func(*R) *string
}

func (s listSpec[R]) fields() []string {
	out := make([]string, 0, len(s.sorts))
	for f := range s.sorts {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// listPage answers one page of a list. filter adds the list's WHERE
// clauses to a query on R's table; it reports false when the filter can
// match nothing (an id that is not a UUID, which PostgreSQL would refuse
// to compare), and listPage then answers an empty page without asking
// the database.
func listPage[R, T any](ctx context.Context, db bun.IDB, req store.ListRequest, spec listSpec[R],
	filter func(*bun.SelectQuery) (*bun.SelectQuery, bool), conv func(*R) T) (store.Page[T], error) {
	req, err := req.Resolve(spec.def, spec.fields()...)
	if err != nil {
		return store.Page[T]{}, err
	}
	key := spec.sorts[req.Sort.Field]
	var after *store.Cursor
	if req.Cursor != "" {
		c, err := store.DecodeCursor(req.Cursor, req.Sort)
		if err != nil {
			return store.Page[T]{}, err
		}
		if !validID(c.ID) {
			return store.Page[T]{}, store.Validation(store.FieldError{Field: "cursor", Message: "is not a cursor this list gave"})
		}
		after = &c
	}

	out := store.Page[T]{Items: []T{}}
	var rows []R
	q, ok := filter(db.NewSelect().Model(&rows))
	if !ok {
		if req.IncludeTotal || req.Page > 0 {
			out.Total = new(int)
		}
		return out, nil
	}
	if key.at == nil {
		q = q.ColumnExpr("?TableColumns").ColumnExpr(key.expr + " AS sort_key")
	}
	if after != nil {
		if q, err = keyset(q, key, spec.idCol, req.Sort.Desc, *after); err != nil {
			return store.Page[T]{}, err
		}
	}
	dir := " ASC"
	if req.Sort.Desc {
		dir = " DESC"
	}
	if key.nullable {
		q = q.OrderExpr("(" + key.expr + " IS NULL)")
	}
	q = q.OrderExpr(key.expr + dir).OrderExpr(spec.idCol + dir).Limit(req.Limit + 1)
	if off := req.Offset(); off > 0 {
		q = q.Offset(off)
	}
	if err := q.Scan(ctx); err != nil {
		return store.Page[T]{}, translate(err, nil)
	}
	more := len(rows) > req.Limit
	if more {
		rows = rows[:req.Limit]
	}
	out.Items = make([]T, len(rows))
	for i := range rows {
		out.Items[i] = conv(&rows[i])
	}
	if more {
		last := &rows[len(rows)-1]
		c := store.Cursor{Sort: req.Sort, ID: spec.id(last)}
		if key.at != nil {
			if t := key.at(last); t != nil {
				s := t.UTC().Format(time.RFC3339Nano)
				c.Key = &s
			}
		} else {
			c.Key = spec.text(last)
		}
		out.NextCursor = c.Encode()
	}
	if req.IncludeTotal || req.Page > 0 {
		cq, _ := filter(db.NewSelect().Model((*R)(nil)))
		n, err := cq.Count(ctx)
		if err != nil {
			return store.Page[T]{}, translate(err, nil)
		}
		out.Total = &n
	}
	return out, nil
}

// keyset adds the condition "after the cursor" to q. Without a key (a
// NULL, which sorts last) only NULL rows with a later id follow; with one,
// the rows after it in (key, id) order and then every NULL row.
func keyset[R any](q *bun.SelectQuery, key sortKey[R], idCol string, desc bool, c store.Cursor) (*bun.SelectQuery, error) {
	op := " > "
	if desc {
		op = " < "
	}
	if c.Key == nil {
		if !key.nullable {
			return nil, store.Validation(store.FieldError{Field: "cursor", Message: "is not a cursor this list gave"})
		}
		return q.Where(key.expr+" IS NULL AND "+idCol+op+"?", c.ID), nil
	}
	var arg any = *c.Key
	if key.at != nil {
		t, err := time.Parse(time.RFC3339Nano, *c.Key)
		if err != nil {
			return nil, store.Validation(store.FieldError{Field: "cursor", Message: "is not a cursor this list gave"})
		}
		arg = t.UTC()
	}
	cond := "(" + key.expr + ", " + idCol + ")" + op + "(?, ?)"
	if key.nullable {
		cond = "(" + cond + " OR " + key.expr + " IS NULL)"
	}
	return q.Where(cond, arg, c.ID), nil
}
