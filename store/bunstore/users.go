package bunstore

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

type userModel struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID                string            `bun:"id,pk"`
	Email             string            `bun:"email"`
	PendingEmail      string            `bun:"pending_email,nullzero"`
	EmailVerified     bool              `bun:"email_verified"`
	Username          string            `bun:"username,nullzero"`
	FirstName         string            `bun:"first_name,nullzero"`
	LastName          string            `bun:"last_name,nullzero"`
	DisplayName       string            `bun:"display_name,nullzero"`
	PhoneNumber       string            `bun:"phone_number,nullzero"`
	Bio               string            `bun:"bio,nullzero"`
	Location          string            `bun:"location,nullzero"`
	Website           string            `bun:"website,nullzero"`
	AvatarURL         string            `bun:"avatar_url,nullzero"`
	Visibility        string            `bun:"visibility"`
	Status            string            `bun:"status"`
	PasswordHash      string            `bun:"password_hash,nullzero"`
	PasswordChangedAt *time.Time        `bun:"password_changed_at"`
	SuspendedReason   string            `bun:"suspended_reason,nullzero"`
	SuspendedUntil    *time.Time        `bun:"suspended_until"`
	DeletedAt         *time.Time        `bun:"deleted_at"`
	PurgeAfter        *time.Time        `bun:"purge_after"`
	TwoFactorEnabled  bool              `bun:"two_factor_enabled"`
	TwoFactorMethod   string            `bun:"two_factor_method,nullzero"`
	Preferences       store.Preferences `bun:"preferences,type:text"`
	CreatedAt         time.Time         `bun:"created_at"`
	UpdatedAt         time.Time         `bun:"updated_at"`
	LastLoginAt       *time.Time        `bun:"last_login_at"`
}

func newUserModel(u *store.User) *userModel {
	return &userModel{
		ID: u.ID, Email: u.Email, PendingEmail: u.PendingEmail, EmailVerified: u.EmailVerified,
		Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		DisplayName: u.DisplayName, PhoneNumber: u.PhoneNumber, Bio: u.Bio,
		Location: u.Location, Website: u.Website, AvatarURL: u.AvatarURL,
		Visibility: string(u.Visibility), Status: string(u.Status),
		PasswordHash: u.PasswordHash, PasswordChangedAt: utcPtr(u.PasswordChangedAt),
		SuspendedReason: u.SuspendedReason, SuspendedUntil: utcPtr(u.SuspendedUntil),
		DeletedAt: utcPtr(u.DeletedAt), PurgeAfter: utcPtr(u.PurgeAfter),
		TwoFactorEnabled: u.TwoFactorEnabled, TwoFactorMethod: u.TwoFactorMethod,
		Preferences: u.Preferences, CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt),
		LastLoginAt: utcPtr(u.LastLoginAt),
	}
}

func (m *userModel) user() *store.User {
	return &store.User{
		ID: m.ID, Email: m.Email, PendingEmail: m.PendingEmail, EmailVerified: m.EmailVerified,
		Username: m.Username, FirstName: m.FirstName, LastName: m.LastName,
		DisplayName: m.DisplayName, PhoneNumber: m.PhoneNumber, Bio: m.Bio,
		Location: m.Location, Website: m.Website, AvatarURL: m.AvatarURL,
		Visibility: store.Visibility(m.Visibility), Status: store.Status(m.Status),
		PasswordHash: m.PasswordHash, PasswordChangedAt: m.PasswordChangedAt,
		SuspendedReason: m.SuspendedReason, SuspendedUntil: m.SuspendedUntil,
		DeletedAt: m.DeletedAt, PurgeAfter: m.PurgeAfter,
		TwoFactorEnabled: m.TwoFactorEnabled, TwoFactorMethod: m.TwoFactorMethod,
		Preferences: m.Preferences, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		LastLoginAt: m.LastLoginAt,
	}
}

type users struct{ repos }

func (r users) Create(ctx context.Context, u *store.User) error {
	if u.ID == "" {
		u.ID = newID()
	}
	if u.Visibility == "" {
		u.Visibility = store.VisibilityPublic
	}
	if u.Status == "" {
		u.Status = store.StatusActive
	}
	if u.Preferences == (store.Preferences{}) {
		u.Preferences = store.DefaultPreferences()
	}
	m := newUserModel(u)
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	if err != nil {
		return translate(err, nil)
	}
	u.CreatedAt, u.UpdatedAt = m.CreatedAt, m.UpdatedAt
	return nil
}

func (r users) one(ctx context.Context, where string, arg any) (*store.User, error) {
	m := new(userModel)
	err := r.db.NewSelect().Model(m).Where(where, arg).Limit(1).Scan(ctx)
	if err != nil {
		return nil, translate(err, store.ErrUserNotFound)
	}
	return m.user(), nil
}

func (r users) ByID(ctx context.Context, id string) (*store.User, error) {
	return r.one(ctx, "u.id = ?", id)
}

func (r users) ByEmail(ctx context.Context, email string) (*store.User, error) {
	return r.one(ctx, "lower(u.email) = lower(?)", email)
}

func (r users) ByUsername(ctx context.Context, username string) (*store.User, error) {
	if username == "" {
		return nil, store.ErrUserNotFound
	}
	return r.one(ctx, "lower(u.username) = lower(?)", username)
}

func (r users) Update(ctx context.Context, id string, fn func(*store.User) error) (*store.User, error) {
	if !r.inTx {
		var out *store.User
		err := r.s.InTx(ctx, func(tx store.Repos) error {
			var err error
			out, err = tx.Users().Update(ctx, id, fn)
			return err
		})
		return out, err
	}
	q := r.db.NewSelect().Model((*userModel)(nil)).Where("u.id = ?", id)
	if r.s.writeMu == nil {
		// The key is never changed here, so the weaker lock suffices and
		// does not block inserts that reference the user.
		q = q.For("NO KEY UPDATE")
	}
	before := new(userModel)
	if err := q.Model(before).Scan(ctx); err != nil {
		return nil, translate(err, store.ErrUserNotFound)
	}
	u := before.user()
	if err := fn(u); err != nil {
		return nil, err
	}
	if u.ID != before.ID || !u.CreatedAt.Equal(before.CreatedAt) {
		return nil, fmt.Errorf("bunstore: update of user %s changed its id or creation time", id)
	}
	after := newUserModel(u)
	cols := changedColumns(before, after)
	if len(cols) == 0 {
		return u, nil
	}
	res, err := r.db.NewUpdate().Model(after).Column(cols...).WherePK().Exec(ctx)
	if err == nil {
		err = affected(res, store.ErrUserNotFound)
	}
	if err != nil {
		return nil, translate(err, store.ErrUserNotFound)
	}
	r.changed(store.Change{Kind: store.UserChanged, UserID: id})
	return after.user(), nil
}

// changedColumns names the columns whose values differ between two rows,
// so that an update writes only what its caller changed.
func changedColumns(before, after *userModel) []string {
	var cols []string
	b, a := reflect.ValueOf(before).Elem(), reflect.ValueOf(after).Elem()
	t := b.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("bun"), ",")
		if f.Anonymous || name == "" || name == "id" || name == "created_at" {
			continue
		}
		if !sameValue(b.Field(i).Interface(), a.Field(i).Interface()) {
			cols = append(cols, name)
		}
	}
	return cols
}

// sameValue compares column values, times by instant (a row read back
// carries another location than one built in Go).
func sameValue(x, y any) bool {
	switch xv := x.(type) {
	case time.Time:
		return xv.Equal(y.(time.Time))
	case *time.Time:
		yv := y.(*time.Time)
		if xv == nil || yv == nil {
			return xv == nil && yv == nil
		}
		return xv.Equal(*yv)
	}
	return reflect.DeepEqual(x, y)
}

func (r users) SetLastLogin(ctx context.Context, id string, at time.Time) error {
	err := r.write(func() error {
		res, err := r.db.NewUpdate().Model((*userModel)(nil)).
			Set("last_login_at = ?", utc(at)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrUserNotFound)
	})
	return translate(err, store.ErrUserNotFound)
}

func (r users) Delete(ctx context.Context, id string) error {
	err := r.write(func() error {
		// Refresh tokens reference sessions, not users; sessions cascade.
		res, err := r.db.NewDelete().Model((*userModel)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		return affected(res, store.ErrUserNotFound)
	})
	if err != nil {
		return translate(err, store.ErrUserNotFound)
	}
	r.changed(store.Change{Kind: store.UserChanged, UserID: id})
	return nil
}

// lockUser locks the user's row until tx ends, so that writers replacing
// one of the user's sets (avatar, backup codes) take turns on PostgreSQL;
// on SQLite the writer lock already serialises them. It returns
// ErrUserNotFound when there is no such user.
func (r repos) lockUser(ctx context.Context, tx bun.Tx, userID string) error {
	q := tx.NewSelect().Model((*userModel)(nil)).Column("u.id").Where("u.id = ?", userID)
	if r.s.writeMu == nil {
		q = q.For("NO KEY UPDATE")
	}
	var id string
	if err := q.Scan(ctx, &id); err != nil {
		return translate(err, store.ErrUserNotFound)
	}
	return nil
}

type passwordHistoryModel struct {
	bun.BaseModel `bun:"table:password_history"`

	ID        string    `bun:"id,pk"`
	UserID    string    `bun:"user_id"`
	Hash      string    `bun:"hash"`
	CreatedAt time.Time `bun:"created_at"`
}

func (r users) AddPasswordHistory(ctx context.Context, e store.PasswordHistoryEntry) error {
	m := &passwordHistoryModel{ID: newID(), UserID: e.UserID, Hash: e.Hash, CreatedAt: utc(e.CreatedAt)}
	err := r.write(func() error {
		_, err := r.db.NewInsert().Model(m).Exec(ctx)
		return err
	})
	if foreignKeyViolation(err) {
		return store.ErrUserNotFound.Wrap(err)
	}
	return translate(err, store.ErrUserNotFound)
}

func (r users) PasswordHistory(ctx context.Context, userID string, n int) ([]store.PasswordHistoryEntry, error) {
	var ms []passwordHistoryModel
	err := r.db.NewSelect().Model(&ms).Where("user_id = ?", userID).
		OrderExpr("created_at DESC, id DESC").Limit(n).Scan(ctx)
	if err != nil {
		return nil, translate(err, store.ErrUserNotFound)
	}
	out := make([]store.PasswordHistoryEntry, len(ms))
	for i, m := range ms {
		out[i] = store.PasswordHistoryEntry{UserID: m.UserID, Hash: m.Hash, CreatedAt: m.CreatedAt}
	}
	return out, nil
}
