package usermgmt

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// EnsureAdmin makes sure an administrator with this email and password
// exists, for bootstrapping from configuration: it creates the account with
// the admin role, or gives an existing account the password, an active
// status, a verified email and the admin role. It is audited as
// admin.bootstrap.
func (m *Manager) EnsureAdmin(ctx context.Context, email, password string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return store.Validation(store.FieldError{Field: "email", Message: "must be a valid email address"})
	}
	if utf8.RuneCountInString(password) < 8 {
		return store.ErrWeakPassword.WithMessage("password must have at least 8 characters")
	}
	hash, err := m.passwords.Hash(password)
	if err != nil {
		return err
	}
	now := m.cfg.now().UTC()
	return m.store.InTx(ctx, func(tx store.Repos) error {
		u, err := tx.Users().ByEmail(ctx, email)
		switch {
		case errors.Is(err, store.ErrUserNotFound):
			u = &store.User{Email: email, CreatedAt: now}
		case err != nil:
			return err
		}
		u.PasswordHash, u.PasswordChangedAt = hash, &now
		u.Status, u.EmailVerified, u.UpdatedAt = store.StatusActive, true, now
		u.SuspendedReason, u.SuspendedUntil, u.DeletedAt, u.PurgeAfter = "", nil, nil, nil
		if u.ID == "" {
			err = tx.Users().Create(ctx, u)
		} else {
			err = tx.Users().Update(ctx, u)
		}
		if err != nil {
			return err
		}
		role, err := tx.Roles().ByName(ctx, store.RoleAdmin)
		if err != nil {
			return err
		}
		if err := tx.Roles().Assign(ctx, u.ID, role.ID, now); err != nil {
			return err
		}
		return m.audit.Record(ctx, tx, audit.Entry{Action: "admin.bootstrap", TargetID: u.ID, ActorID: u.ID})
	})
}
