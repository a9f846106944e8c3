package bunstore

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

func (r bulk) Taken(ctx context.Context, emails, usernames []string) (map[string]bool, map[string]bool, error) {
	takenEmails, err := r.taken(ctx, "email", emails)
	if err != nil {
		return nil, nil, err
	}
	takenNames, err := r.taken(ctx, "username", usernames)
	return takenEmails, takenNames, err
}

// taken returns the lower-cased values of col among values that an
// account has, served by the unique index on lower(col).
func (r bulk) taken(ctx context.Context, col string, values []string) (map[string]bool, error) {
	out := map[string]bool{}
	lower := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			lower = append(lower, strings.ToLower(v))
		}
	}
	if len(lower) == 0 {
		return out, nil
	}
	var found []string
	err := r.db.NewSelect().Model((*userModel)(nil)).ColumnExpr("lower(u."+col+")").
		Where("lower(u."+col+") IN (?)", bun.In(lower)).Scan(ctx, &found)
	if err != nil {
		return nil, translate(err, nil)
	}
	for _, v := range found {
		out[v] = true
	}
	return out, nil
}

func (r bulk) CreateUsers(ctx context.Context, in []store.ImportedUser) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	models := make([]*userModel, len(in))
	for i := range in {
		u := &in[i].User
		if u.ID == "" {
			u.ID = newID()
		}
		models[i] = newUserModel(u)
	}
	var created []string
	err := r.write(func() error {
		if err := r.db.NewInsert().Model(&models).On("CONFLICT DO NOTHING").Returning("id").Scan(ctx, &created); err != nil {
			return err
		}
		return r.createdExtras(ctx, in, created)
	})
	if err != nil {
		return nil, translate(err, nil)
	}
	return created, nil
}

// createdExtras writes the roles and password history of the created
// users.
func (r bulk) createdExtras(ctx context.Context, in []store.ImportedUser, created []string) error {
	made := make(map[string]bool, len(created))
	for _, id := range created {
		made[id] = true
	}
	var roles []userRoleModel
	var history []passwordHistoryModel
	for _, iu := range in {
		u := iu.User
		if !made[u.ID] {
			continue
		}
		for _, roleID := range iu.RoleIDs {
			roles = append(roles, userRoleModel{UserID: u.ID, RoleID: roleID, CreatedAt: utc(u.CreatedAt)})
		}
		if u.PasswordHash != "" {
			history = append(history, passwordHistoryModel{ID: newID(), UserID: u.ID, Hash: u.PasswordHash, CreatedAt: utc(u.CreatedAt)})
		}
	}
	if len(roles) > 0 {
		if _, err := r.db.NewInsert().Model(&roles).Exec(ctx); err != nil {
			return err
		}
	}
	if len(history) > 0 {
		if _, err := r.db.NewInsert().Model(&history).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (r bulk) AppendEvents(ctx context.Context, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	models := make([]eventModel, len(events))
	for i := range events {
		e := &events[i]
		if e.ID == "" {
			e.ID = newID()
		}
		e.OccurredAt = utc(e.OccurredAt)
		models[i] = eventModel{ID: e.ID, Name: string(e.Name), UserID: e.UserID, ActorID: e.ActorID,
			ImpersonatorID: e.ImpersonatorID, Payload: e.Payload, OccurredAt: e.OccurredAt}
	}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(&models).Exec(ctx)
		return err
	})
	return translate(err, nil)
}
