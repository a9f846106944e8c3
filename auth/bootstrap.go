package auth

import (
	"context"
	"errors"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// signUpRoles are the roles every new account gets.
var signUpRoles = []string{store.RoleUser}

// SignUpRoles returns the names of the roles a new account gets at
// registration.
func (s *Service) SignUpRoles() []string { return append([]string(nil), signUpRoles...) }

// EnsureAdmin makes sure an administrator with this email and password
// exists, for bootstrapping from configuration: it creates the account with
// the admin role, or gives an existing account the password, an active
// status, a verified email and the admin role. The password must pass the
// configured policy and is hashed with the configured hasher. It is
// audited as admin.bootstrap, by the system actor.
func (s *Service) EnsureAdmin(ctx context.Context, rawEmail, password string) error {
	email, ok := NormalizeEmail(rawEmail)
	if !ok {
		return store.Validation(store.FieldError{Field: "email", Message: "must be a valid email address"})
	}
	if password == "" {
		return store.Validation(store.FieldError{Field: "password", Message: "is required"})
	}
	if err := s.cfg.Policy.Check(password, email, ""); err != nil {
		return err
	}
	hash, err := s.cfg.Passwords.Hash(password)
	if err != nil {
		return err
	}
	ctx = store.NewContextWithActor(ctx, store.SystemActor)
	now := s.now()
	return s.st.InTx(ctx, func(tx store.Repos) error {
		u, err := tx.Users().ByEmail(ctx, email)
		switch {
		case errors.Is(err, store.ErrUserNotFound):
			u = &store.User{Email: email, Status: store.StatusActive, EmailVerified: true,
				PasswordHash: hash, PasswordChangedAt: &now, Visibility: store.VisibilityPublic,
				Preferences: store.DefaultPreferences(), CreatedAt: now, UpdatedAt: now}
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if u, err = tx.Users().Update(ctx, u.ID, func(u *store.User) error {
				u.PasswordHash, u.PasswordChangedAt = hash, &now
				u.Status, u.EmailVerified, u.UpdatedAt = store.StatusActive, true, now
				u.SuspendedReason, u.SuspendedUntil, u.DeletedAt, u.PurgeAfter = "", nil, nil, nil
				return nil
			}); err != nil {
				return err
			}
			// A new password ends the sessions opened with the old one.
			if _, err := tx.Sessions().RevokeByUser(ctx, u.ID, "", now, "password_change"); err != nil {
				return err
			}
		}
		if err := tx.Users().AddPasswordHistory(ctx, store.PasswordHistoryEntry{UserID: u.ID, Hash: hash, CreatedAt: now}); err != nil {
			return err
		}
		role, err := tx.Roles().ByName(ctx, store.RoleAdmin)
		if err != nil {
			return err
		}
		if err := tx.Roles().Assign(ctx, u.ID, role.ID, now); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "admin.bootstrap", TargetID: u.ID})
	})
}
