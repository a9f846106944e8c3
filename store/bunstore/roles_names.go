package bunstore

import (
	"context"

	"github.com/uptrace/bun"
)

func (r roles) NamesOf(ctx context.Context, userIDs []string) (map[string][]string, error) {
	out := make(map[string][]string, len(userIDs))
	ids := make([]string, 0, len(userIDs))
	for _, id := range userIDs {
		out[id] = []string{}
		// A malformed id would make PostgreSQL refuse the whole query; it
		// holds no role anyway.
		if validID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID string `bun:"user_id"`
		Name   string `bun:"name"`
	}
	err := r.db.NewSelect().Model((*userRoleModel)(nil)).
		ColumnExpr("ur.user_id AS user_id").ColumnExpr("r.name AS name").
		Join("JOIN roles AS r ON r.id = ur.role_id").
		Where("ur.user_id IN (?)", bun.In(ids)).OrderExpr("lower(r.name)").Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, nil)
	}
	for _, row := range rows {
		out[row.UserID] = append(out[row.UserID], row.Name)
	}
	return out, nil
}
