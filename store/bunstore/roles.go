package bunstore

import (
	"context"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type roleModel struct {
	bun.BaseModel `bun:"table:roles,alias:r"`

	ID          string    `bun:"id,pk"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Permissions []string  `bun:"permissions,type:text"`
	BuiltIn     bool      `bun:"built_in"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

func newRoleModel(r *store.Role) *roleModel {
	perms := append([]string{}, r.Permissions...)
	sort.Strings(perms)
	return &roleModel{
		ID: r.ID, Name: r.Name, Description: r.Description, Permissions: perms,
		BuiltIn: r.BuiltIn, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
}

func (m *roleModel) role() store.Role {
	perms := m.Permissions
	if perms == nil {
		perms = []string{}
	}
	return store.Role{
		ID: m.ID, Name: m.Name, Description: m.Description, Permissions: perms,
		BuiltIn: m.BuiltIn, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

type userRoleModel struct {
	bun.BaseModel `bun:"table:user_roles,alias:ur"`

	UserID    string    `bun:"user_id,pk"`
	RoleID    string    `bun:"role_id,pk"`
	CreatedAt time.Time `bun:"created_at"`
}

type roles struct{ repos }

func (r roles) Create(ctx context.Context, role *store.Role) error {
	if role.ID == "" {
		role.ID = newID()
	}
	m := newRoleModel(role)
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	if err != nil {
		return translate(err, nil)
	}
	role.Permissions, role.CreatedAt, role.UpdatedAt = m.Permissions, m.CreatedAt, m.UpdatedAt
	return nil
}

func (r roles) one(ctx context.Context, where string, arg any) (*store.Role, error) {
	m := new(roleModel)
	if err := r.db.NewSelect().Model(m).Where(where, arg).Limit(1).Scan(ctx); err != nil {
		return nil, translate(err, store.ErrRoleNotFound)
	}
	role := m.role()
	return &role, nil
}

func (r roles) ByID(ctx context.Context, id string) (*store.Role, error) {
	return r.one(ctx, "r.id = ?", id)
}

func (r roles) ByName(ctx context.Context, name string) (*store.Role, error) {
	return r.one(ctx, "lower(r.name) = lower(?)", name)
}

func (r roles) List(ctx context.Context) ([]store.Role, error) {
	var ms []roleModel
	if err := r.db.NewSelect().Model(&ms).OrderExpr("lower(r.name)").Scan(ctx); err != nil {
		return nil, translate(err, nil)
	}
	return toRoles(ms), nil
}

func toRoles(ms []roleModel) []store.Role {
	out := make([]store.Role, len(ms))
	for i := range ms {
		out[i] = ms[i].role()
	}
	return out
}

func (r roles) Update(ctx context.Context, role *store.Role) error {
	m := newRoleModel(role)
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model(m).Column("name", "description", "permissions", "updated_at").
			WherePK().Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrRoleNotFound)
	})
	if err == nil {
		role.Permissions = m.Permissions
	}
	r.changedIf(err, store.Change{Kind: store.RolesChanged})
	return translate(err, store.ErrRoleNotFound)
}

func (r roles) Delete(ctx context.Context, id string) error {
	err := r.write(func() error {
		res, err := r.db.NewDelete().Model((*roleModel)(nil)).Where("id = ?", id).Exec(ctx)
		if foreignKeyViolation(err) {
			return store.ErrRoleInUse.Wrap(err)
		}
		if err != nil {
			return err
		}
		return affected(res, store.ErrRoleNotFound)
	})
	r.changedIf(err, store.Change{Kind: store.RolesChanged})
	return translate(err, store.ErrRoleNotFound)
}

func (r roles) Assign(ctx context.Context, userID, roleID string, at time.Time) error {
	m := &userRoleModel{UserID: userID, RoleID: roleID, CreatedAt: utc(at)}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).On("CONFLICT (user_id, role_id) DO NOTHING").Exec(ctx)
		return err
	})
	if err == nil {
		r.changed(store.Change{Kind: store.UserChanged, UserID: userID})
		return nil
	}
	if foreignKeyViolation(err) || invalidInput(err) {
		return r.missingSide(ctx, err, userID)
	}
	return translate(err, nil)
}

func (r roles) Unassign(ctx context.Context, userID, roleID string) error {
	err := r.write(func() error {
		res, err := r.db.NewDelete().Model((*userRoleModel)(nil)).
			Where("user_id = ? AND role_id = ?", userID, roleID).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrRoleNotFound)
	})
	r.changedIf(err, store.Change{Kind: store.UserChanged, UserID: userID})
	return translate(err, store.ErrRoleNotFound)
}

func (r roles) RolesOf(ctx context.Context, userID string) ([]store.Role, error) {
	var ms []roleModel
	err := r.db.NewSelect().Model(&ms).
		Join("JOIN user_roles AS ur ON ur.role_id = r.id").
		Where("ur.user_id = ?", userID).OrderExpr("lower(r.name)").Scan(ctx)
	if err != nil {
		if invalidInput(err) {
			return []store.Role{}, nil
		}
		return nil, translate(err, nil)
	}
	return toRoles(ms), nil
}

func (r roles) CountUsers(ctx context.Context, roleID string) (int, error) {
	n, err := r.db.NewSelect().Model((*userRoleModel)(nil)).Where("role_id = ?", roleID).Count(ctx)
	if err != nil {
		if invalidInput(err) {
			return 0, nil
		}
		return 0, translate(err, nil)
	}
	return n, nil
}

func (r roles) UserCounts(ctx context.Context, roleIDs []string) (map[string]int, error) {
	out := make(map[string]int, len(roleIDs))
	ids := make([]string, 0, len(roleIDs))
	for _, id := range roleIDs {
		out[id] = 0
		// A malformed id would make PostgreSQL refuse the whole query (and
		// abort the transaction); it holds no role anyway.
		if validID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		RoleID string `bun:"role_id"`
		N      int    `bun:"n"`
	}
	err := r.db.NewSelect().Model((*userRoleModel)(nil)).
		ColumnExpr("ur.role_id AS role_id").ColumnExpr("count(*) AS n").
		Where("ur.role_id IN (?)", bun.In(ids)).Group("ur.role_id").Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, nil)
	}
	for _, row := range rows {
		out[row.RoleID] = row.N
	}
	return out, nil
}

// missingSide says whether the user or the role of a refused assignment is
// missing. PostgreSQL names the constraint (and has aborted the
// transaction, so no query may follow); SQLite does not, but lets us ask.
func (r roles) missingSide(ctx context.Context, err error, userID string) error {
	if r.s.writeMu == nil {
		if invalidInput(err) && validID(userID) {
			// The user id parsed, so the role id is the one that did not.
			return store.ErrRoleNotFound.Wrap(err)
		}
		if constraintName(err) == "user_roles_role_id_fkey" {
			return store.ErrRoleNotFound.Wrap(err)
		}
		return store.ErrUserNotFound.Wrap(err)
	}
	if _, uerr := users(r).ByID(ctx, userID); uerr != nil {
		return uerr
	}
	return store.ErrRoleNotFound.Wrap(err)
}

func (r roles) Lock(ctx context.Context, roleID string) error {
	q := r.db.NewSelect().Model((*roleModel)(nil)).Column("r.id").Where("r.id = ?", roleID)
	if r.s.writeMu == nil && r.inTx {
		q = q.For("UPDATE")
	}
	var id string
	if err := q.Scan(ctx, &id); err != nil {
		return translate(err, store.ErrRoleNotFound)
	}
	return nil
}
