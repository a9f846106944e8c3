package bunstore

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/uptrace/bun/dialect"

	"github.com/usermgmt/usermgmt/store"
)

// summaryRow is the columns of a store.UserSummary, and the
// comma-separated ids of the user's roles: only what an export needs, so
// that a million rows scan quickly.
type summaryRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID            string     `bun:"id"`
	Email         string     `bun:"email"`
	Username      string     `bun:"username,nullzero"`
	FirstName     string     `bun:"first_name,nullzero"`
	LastName      string     `bun:"last_name,nullzero"`
	Status        string     `bun:"status"`
	EmailVerified bool       `bun:"email_verified"`
	CreatedAt     time.Time  `bun:"created_at"`
	LastLoginAt   *time.Time `bun:"last_login_at"`
	RoleIDs       *string    `bun:"role_ids,scanonly"`
}

// roleIDsExpr aggregates a user's role ids in one correlated subquery,
// served by the user_roles primary key (user_id, role_id).
func roleIDsExpr(d dialect.Name) string {
	if d == dialect.SQLite {
		return "(SELECT group_concat(ur.role_id, ',') FROM user_roles AS ur WHERE ur.user_id = u.id)"
	}
	return "(SELECT string_agg(ur.role_id::text, ',') FROM user_roles AS ur WHERE ur.user_id = u.id)"
}

func (r bulk) EachUser(ctx context.Context, f store.UserFilter, fn func(*store.UserSummary) error) error {
	q := r.db.NewSelect().Model((*summaryRow)(nil)).
		Column("u.id", "u.email", "u.username", "u.first_name", "u.last_name", "u.status", "u.email_verified", "u.created_at", "u.last_login_at").
		ColumnExpr(roleIDsExpr(r.db.Dialect().Name()) + " AS role_ids").
		OrderExpr("u.created_at ASC, u.id ASC")
	roleID, ok, err := resolveRole(ctx, r.repos, f.Role)
	if err != nil || !ok {
		return err
	}
	q, ok = filterUsers(q, f, roleID)
	if !ok {
		return nil
	}
	rows, err := q.Rows(ctx)
	if err != nil {
		return translate(err, nil)
	}
	defer rows.Close()
	var row summaryRow
	var sum store.UserSummary
	for rows.Next() {
		row = summaryRow{}
		if err := r.s.db.ScanRow(ctx, rows, &row); err != nil {
			return translate(err, nil)
		}
		sum = store.UserSummary{ID: row.ID, Email: row.Email, Username: row.Username, FirstName: row.FirstName,
			LastName: row.LastName, Status: store.Status(row.Status), EmailVerified: row.EmailVerified,
			CreatedAt: row.CreatedAt, LastLoginAt: row.LastLoginAt, RoleIDs: splitIDs(row.RoleIDs)}
		if err := fn(&sum); err != nil {
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
