package bunstore

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

// userRow is a user with the text sort key a list selected.
type userRow struct {
	userModel `bun:",extend"`

	SortKey *string `bun:"sort_key,scanonly"`
}

// userNameExpr is the "name" sort key. Migration 0003 indexes exactly this
// expression, so keep the two equal.
const userNameExpr = "lower(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))"

// userList offers the admin user list, newest first by default. Every
// sort has an index on (key, id) in migration 0003; the nullable ones
// (username, lastLoginAt) one per direction.
var userList = listSpec[userRow]{
	idCol: "u.id",
	def:   store.Sort{Field: store.UserSortCreatedAt, Desc: true},
	sorts: map[string]sortKey[userRow]{
		store.UserSortCreatedAt:   {expr: "u.created_at", at: func(r *userRow) *time.Time { return &r.CreatedAt }},
		store.UserSortEmail:       {expr: "lower(u.email)"},
		store.UserSortUsername:    {expr: "lower(u.username)", nullable: true},
		store.UserSortName:        {expr: userNameExpr},
		store.UserSortLastLoginAt: {expr: "u.last_login_at", nullable: true, at: func(r *userRow) *time.Time { return r.LastLoginAt }},
	},
	id:   func(r *userRow) string { return r.ID },
	text: func(r *userRow) *string { return r.SortKey },
}

// likeEscaper makes % and _ in a search match themselves under
// LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (r users) List(ctx context.Context, f store.UserFilter, req store.ListRequest) (store.Page[store.User], error) {
	return listPage(ctx, r.db, req, userList, func(q *bun.SelectQuery) (*bun.SelectQuery, bool) {
		if f.Status != "" {
			q = q.Where("u.status = ?", string(f.Status))
		}
		if f.Role != "" {
			q = q.Where(`EXISTS (SELECT 1 FROM user_roles AS ur JOIN roles AS r ON r.id = ur.role_id
				WHERE ur.user_id = u.id AND lower(r.name) = lower(?))`, f.Role)
		}
		if f.EmailVerified != nil {
			q = q.Where("u.email_verified = ?", *f.EmailVerified)
		}
		if f.TwoFactor != nil {
			q = q.Where("u.two_factor_enabled = ?", *f.TwoFactor)
		}
		if !f.CreatedFrom.IsZero() {
			q = q.Where("u.created_at >= ?", f.CreatedFrom.UTC())
		}
		if !f.CreatedTo.IsZero() {
			q = q.Where("u.created_at < ?", f.CreatedTo.UTC())
		}
		if f.Q != "" {
			// lower() on both sides: SQLite's LIKE ignores only ASCII case
			// and PostgreSQL's none. A trigram index will replace this scan.
			like := "%" + likeEscaper.Replace(f.Q) + "%"
			q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				for _, col := range []string{"u.email", "u.username", "u.first_name", "u.last_name", "u.display_name"} {
					q = q.WhereOr("lower("+col+") LIKE lower(?) ESCAPE '\\'", like)
				}
				return q.WhereOr(userNameExpr+" LIKE lower(?) ESCAPE '\\'", like)
			})
		}
		return q, true
	}, func(row *userRow) store.User { return *row.user() })
}
