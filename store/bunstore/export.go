package bunstore

import (
	"context"
	"strings"

	"github.com/uptrace/bun/dialect"

	"github.com/usermgmt/usermgmt/store"
)

// exportRow is a user with the comma-separated ids of its roles.
type exportRow struct {
	userModel `bun:",extend"`

	RoleIDs *string `bun:"role_ids,scanonly"`
}

// roleIDsExpr aggregates a user's role ids in one correlated subquery,
// served by the user_roles primary key (user_id, role_id).
func roleIDsExpr(d dialect.Name) string {
	if d == dialect.SQLite {
		return "(SELECT group_concat(ur.role_id, ',') FROM user_roles AS ur WHERE ur.user_id = u.id)"
	}
	return "(SELECT string_agg(ur.role_id::text, ',') FROM user_roles AS ur WHERE ur.user_id = u.id)"
}

func (r bulk) EachUser(ctx context.Context, f store.UserFilter, fn func(*store.User, []string) error) error {
	q := r.db.NewSelect().Model((*userModel)(nil)).ColumnExpr("u.*").
		ColumnExpr(roleIDsExpr(r.db.Dialect().Name()) + " AS role_ids").
		OrderExpr("u.created_at ASC, u.id ASC")
	q, ok := filterUsers(q, f)
	if !ok {
		return nil
	}
	rows, err := q.Rows(ctx)
	if err != nil {
		return translate(err, nil)
	}
	defer rows.Close()
	for rows.Next() {
		var row exportRow
		if err := r.s.db.ScanRow(ctx, rows, &row); err != nil {
			return translate(err, nil)
		}
		if err := fn(row.user(), splitIDs(row.RoleIDs)); err != nil {
			return err
		}
	}
	return translate(rows.Err(), nil)
}

func splitIDs(s *string) []string {
	if s == nil || *s == "" {
		return nil
	}
	return strings.Split(*s, ",")
}
