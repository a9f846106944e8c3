package bunstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

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

// The search texts of migration 0007: email, username, "first last" and
// display name, lower-cased and separated by a character no search may
// hold (so that no match spans two fields). PostgreSQL indexes
// userSearchPG with a pg_trgm GIN index; SQLite keeps the same text in the
// FTS5 trigram table users_search. Keep these equal to the migrations.
const (
	searchSep        = "\x01"
	userSearchPG     = "lower(u.email || chr(1) || coalesce(u.username, '') || chr(1) || coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '') || chr(1) || coalesce(u.display_name, ''))"
	userSearchSQLite = `u.id IN (SELECT s.user_id FROM users_search_ids AS s
		WHERE s.rid IN (SELECT rowid FROM users_search WHERE doc GLOB lower(?)))`
)

// likeEscaper makes % and _ in a search match themselves under
// LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// globEscaper makes *, ? and [ in a search match themselves under GLOB.
var globEscaper = strings.NewReplacer(`[`, `[[]`, `*`, `[*]`, `?`, `[?]`)

// searchUsers adds the q filter. It reports false for a q holding the
// field separator, which no field can contain.
func searchUsers(q *bun.SelectQuery, text string) (*bun.SelectQuery, bool) {
	if strings.Contains(text, searchSep) {
		return q, false
	}
	if q.Dialect().Name() == dialect.SQLite {
		// The text is stored through SQLite's lower() (ASCII only), so
		// the pattern goes through the same one. GLOB, unlike LIKE with
		// an ESCAPE clause, is what the trigram index serves.
		return q.Where(userSearchSQLite, "*"+globEscaper.Replace(text)+"*"), true
	}
	like := "%" + likeEscaper.Replace(text) + "%"
	return q.Where(userSearchPG+" LIKE lower(?) ESCAPE '\\'", like), true
}

func (r users) List(ctx context.Context, f store.UserFilter, req store.ListRequest) (store.Page[store.User], error) {
	roleID, ok, err := resolveRole(ctx, r.repos, f.Role)
	if err != nil {
		return store.Page[store.User]{}, err
	}
	return listPage(ctx, r.db, req, userList, func(q *bun.SelectQuery) (*bun.SelectQuery, bool) {
		if !ok {
			return q, false
		}
		return filterUsers(q, f, roleID)
	}, func(row *userRow) store.User { return *row.user() })
}

// resolveRole turns the role filter's name into the role's id, first: a
// constant role_id lets the planner use user_roles' statistics (walk the
// sort order probing the primary key for a common role, fetch the holders
// of a rare one), which a join on the role's name hides. ok is false when
// no role has that name, so that nothing matches.
func resolveRole(ctx context.Context, r repos, name string) (id string, ok bool, err error) {
	if name == "" {
		return "", true, nil
	}
	role, err := (roles{r}).ByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrRoleNotFound):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return role.ID, true, nil
}

// filterUsers applies f to a query on users AS u, for the list and the
// export alike, with f.Role already resolved to roleID (resolveRole). It
// reports false when f can match nothing.
func filterUsers(q *bun.SelectQuery, f store.UserFilter, roleID string) (*bun.SelectQuery, bool) {
	if f.Status != "" {
		q = q.Where("u.status = ?", string(f.Status))
	}
	if roleID != "" {
		q = q.Where("EXISTS (SELECT 1 FROM user_roles AS ur WHERE ur.user_id = u.id AND ur.role_id = ?)", roleID)
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
		return searchUsers(q, f.Q)
	}
	return q, true
}
