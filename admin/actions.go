package admin

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// Audit actions of the account actions, written with the admin as actor
// and the user as target.
const (
	ActionLock          = "admin.user_lock"
	ActionUnlock        = "admin.user_unlock"
	ActionSuspend       = "admin.user_suspend"
	ActionReactivate    = "admin.user_reactivate"
	ActionVerifyEmail   = "admin.user_verify_email"
	ActionResetPassword = "admin.user_reset_password"
	ActionResetTwoFA    = "admin.user_2fa_reset"
)

// MaxSuspendReason is the longest suspension reason, in characters.
const MaxSuspendReason = 500

// Notice types of the in-app notices admin actions create.
const (
	NoticeAccountLocked    = "account.locked"
	NoticeAccountUnlocked  = "account.unlocked"
	NoticeAccountSuspended = "account.suspended"
	NoticeAccountRestored  = "account.reactivated"
	NoticePasswordReset    = "security.password_reset_by_admin"
	NoticeTwoFactorReset   = "security.2fa_reset_by_admin"
	NoticeImpersonated     = "security.impersonated"
)

// Lock locks an account for an actor holding USER_MANAGE and every
// permission the user holds: status locked, login refused (423
// ACCOUNT_LOCKED) until Unlock, every session revoked. Only an active
// account can be locked (ErrConflict otherwise); the last active
// administrator cannot (ErrLastAdmin). Audited, with a UserDeactivated
// event and a notice to the user.
func (s *Service) Lock(ctx context.Context, id string) error {
	return s.act(ctx, rbac.UserManage, ActionLock, id, func(tx store.Repos, _ store.Actor) error {
		if err := s.cfg.Account.GuardLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		if err := s.setStatus(ctx, tx, id, func(u *store.User) error {
			if u.Status != store.StatusActive {
				return store.ErrConflict.WithMessage("only an active account can be locked; it is " + string(u.Status))
			}
			u.Status = store.StatusLocked
			return nil
		}); err != nil {
			return err
		}
		if _, err := s.cfg.Sessions.RevokeUser(ctx, tx, id, "", ActionLock, "session.revoke_all"); err != nil {
			return err
		}
		if err := s.record(ctx, tx, ActionLock, id, nil, store.EventUserDeactivated, map[string]any{"status": string(store.StatusLocked)}); err != nil {
			return err
		}
		return s.notify(ctx, tx, id, notify.Notice{Type: NoticeAccountLocked, Title: "Your account was locked",
			Body: "An administrator locked your account. Contact support if you did not expect this."})
	})
}

// Unlock lifts an administrator's lock (status locked back to active) and
// clears the automatic lock-out and failed-login count, for an actor
// holding USER_MANAGE and every permission the user holds. Other statuses
// stay as they are: suspended and deactivated accounts have their own way
// back. Audited; a UserActivated event and a notice when the status
// changed.
func (s *Service) Unlock(ctx context.Context, id string) error {
	return s.act(ctx, rbac.UserManage, ActionUnlock, id, func(tx store.Repos, _ store.Actor) error {
		was := store.Status("")
		u, err := tx.Users().Update(ctx, id, func(u *store.User) error {
			was = u.Status
			if u.Status == store.StatusLocked {
				u.Status, u.UpdatedAt = store.StatusActive, s.cfg.Now().UTC()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.Lockout().Reset(ctx, u.Email); err != nil {
			return err
		}
		if was != store.StatusLocked {
			return s.audit(ctx, tx, ActionUnlock, id, map[string]string{"status": string(was)})
		}
		if err := s.record(ctx, tx, ActionUnlock, id, nil, store.EventUserActivated, map[string]any{"from": string(was)}); err != nil {
			return err
		}
		return s.notify(ctx, tx, id, notify.Notice{Type: NoticeAccountUnlocked, Title: "Your account was unlocked",
			Body: "An administrator unlocked your account; you can sign in again."})
	})
}

// Suspension is why and how long an account is suspended.
type Suspension struct {
	// Reason is required, at most MaxSuspendReason characters; the user
	// is not shown it, administrators are.
	Reason string
	// Until, when set, ends the suspension by itself: login works again
	// from then on. It must lie in the future.
	Until *time.Time
}

// Suspend suspends an account for an actor holding USER_MANAGE and every
// permission the user holds: status suspended with the reason, login
// refused (403 ACCOUNT_SUSPENDED after a correct password) until
// Reactivate or until Until, every session revoked at once. A deleted
// account cannot be suspended (ErrConflict); a suspended one gets the new
// reason and end. The last active administrator cannot be (ErrLastAdmin).
// Audited, with a UserSuspended event and a notice to the user. It
// returns the user.
func (s *Service) Suspend(ctx context.Context, id string, in Suspension) (*User, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	now := s.cfg.Now().UTC()
	var fields []store.FieldError
	switch {
	case in.Reason == "":
		fields = append(fields, store.FieldError{Field: "reason", Message: "is required"})
	case utf8.RuneCountInString(in.Reason) > MaxSuspendReason:
		fields = append(fields, store.FieldError{Field: "reason", Message: "must be at most 500 characters"})
	}
	if in.Until != nil && !in.Until.After(now) {
		fields = append(fields, store.FieldError{Field: "until", Message: "must be in the future"})
	}
	if len(fields) > 0 {
		return nil, store.Validation(fields...)
	}
	var out *User
	err := s.act(ctx, rbac.UserManage, ActionSuspend, id, func(tx store.Repos, _ store.Actor) error {
		if err := s.cfg.Account.GuardLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		if err := s.setStatus(ctx, tx, id, func(u *store.User) error {
			if u.Status == store.StatusDeleted {
				return store.ErrConflict.WithMessage("a deleted account cannot be suspended")
			}
			u.Status, u.SuspendedReason, u.SuspendedUntil = store.StatusSuspended, in.Reason, nil
			if in.Until != nil {
				until := in.Until.UTC()
				u.SuspendedUntil = &until
			}
			return nil
		}); err != nil {
			return err
		}
		if _, err := s.cfg.Sessions.RevokeUser(ctx, tx, id, "", ActionSuspend, "session.revoke_all"); err != nil {
			return err
		}
		payload := map[string]any{"until": nil}
		md := map[string]string{}
		if in.Until != nil {
			payload["until"] = in.Until.UTC().Format(time.RFC3339)
			md["until"] = in.Until.UTC().Format(time.RFC3339)
		}
		if err := s.record(ctx, tx, ActionSuspend, id, md, store.EventUserSuspended, payload); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, id, notify.Notice{Type: NoticeAccountSuspended, Title: "Your account was suspended",
			Body: "An administrator suspended your account. Contact support to learn more."}); err != nil {
			return err
		}
		var err error
		out, err = s.details(ctx, tx, id)
		return err
	})
	return out, err
}

// Reactivate makes a suspended, locked or deactivated account active
// again (clearing the suspension), for an actor holding USER_MANAGE and
// every permission the user holds, and returns the user. An active account stays as it is; a
// deleted one is ErrConflict (the user recovers it, or an administrator
// erases it). Audited, with a UserActivated event and a notice when the
// status changed.
func (s *Service) Reactivate(ctx context.Context, id string) (*User, error) {
	var out *User
	err := s.act(ctx, rbac.UserManage, ActionReactivate, id, func(tx store.Repos, _ store.Actor) error {
		was := store.Status("")
		if err := s.setStatus(ctx, tx, id, func(u *store.User) error {
			was = u.Status
			if u.Status == store.StatusDeleted {
				return store.ErrConflict.WithMessage("a deleted account is recovered by its owner, not reactivated")
			}
			u.Status, u.SuspendedReason, u.SuspendedUntil = store.StatusActive, "", nil
			return nil
		}); err != nil {
			return err
		}
		if was != store.StatusActive {
			if err := s.record(ctx, tx, ActionReactivate, id, map[string]string{"from": string(was)},
				store.EventUserActivated, map[string]any{"from": string(was)}); err != nil {
				return err
			}
			if err := s.notify(ctx, tx, id, notify.Notice{Type: NoticeAccountRestored, Title: "Your account is active again",
				Body: "An administrator reactivated your account; you can sign in again."}); err != nil {
				return err
			}
		}
		var err error
		out, err = s.details(ctx, tx, id)
		return err
	})
	return out, err
}

// VerifyEmail marks the user's email address as verified, for an actor
// holding USER_MANAGE and every permission the user holds, and returns the
// user. Audited, with a UserUpdated event when the flag changed.
func (s *Service) VerifyEmail(ctx context.Context, id string) (*User, error) {
	var out *User
	err := s.act(ctx, rbac.UserManage, ActionVerifyEmail, id, func(tx store.Repos, _ store.Actor) error {
		changed := false
		_, err := tx.Users().Update(ctx, id, func(u *store.User) error {
			changed = !u.EmailVerified
			if changed {
				u.EmailVerified, u.UpdatedAt = true, s.cfg.Now().UTC()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if changed {
			if err := s.record(ctx, tx, ActionVerifyEmail, id, nil, store.EventUserUpdated,
				map[string]any{"fields": []string{"emailVerified"}}); err != nil {
				return err
			}
		}
		out, err = s.details(ctx, tx, id)
		return err
	})
	return out, err
}

// ResetPassword mails the user a password-reset link and revokes every
// session, for an actor holding USER_MANAGE and every permission the user
// holds. The current password keeps working until the link is used (an
// administrator cannot lock someone out by mistake, and never learns or
// sets the password). Audited, with a notice to the user.
func (s *Service) ResetPassword(ctx context.Context, id string) error {
	return s.act(ctx, rbac.UserManage, ActionResetPassword, id, func(tx store.Repos, _ store.Actor) error {
		u, err := tx.Users().ByID(ctx, id)
		if err != nil {
			return err
		}
		if u.Status == store.StatusDeleted {
			return store.ErrConflict.WithMessage("a deleted account has no password to reset")
		}
		if err := s.cfg.Auth.QueueReset(ctx, tx, id); err != nil {
			return err
		}
		if _, err := s.cfg.Sessions.RevokeUser(ctx, tx, id, "", ActionResetPassword, "session.revoke_all"); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, ActionResetPassword, id, nil); err != nil {
			return err
		}
		return s.notify(ctx, tx, id, notify.Notice{Type: NoticePasswordReset, Title: "Password reset requested",
			Body: "An administrator sent you a link to set a new password and signed you out everywhere."})
	})
}

// ResetTwoFactor removes the user's second factors and backup codes (for
// a user who lost them, or whose account was taken over) and revokes every
// session, for an actor holding USER_MANAGE and every permission the user
// holds, and returns the user. A user without 2FA is ErrMFANotEnabled.
// Audited, with a TwoFactorChanged event and a notice to the user.
func (s *Service) ResetTwoFactor(ctx context.Context, id string) (*User, error) {
	var out *User
	err := s.act(ctx, rbac.UserManage, ActionResetTwoFA, id, func(tx store.Repos, _ store.Actor) error {
		var method string
		_, err := tx.Users().Update(ctx, id, func(u *store.User) error {
			if !u.TwoFactorEnabled {
				return store.ErrMFANotEnabled
			}
			method = u.TwoFactorMethod
			u.TwoFactorEnabled, u.TwoFactorMethod, u.UpdatedAt = false, "", s.cfg.Now().UTC()
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.TwoFactor().Delete(ctx, id); err != nil {
			return err
		}
		if _, err := s.cfg.Sessions.RevokeUser(ctx, tx, id, "", ActionResetTwoFA, "session.revoke_all"); err != nil {
			return err
		}
		if err := s.record(ctx, tx, ActionResetTwoFA, id, map[string]string{"method": method},
			store.EventTwoFactorChanged, map[string]any{"enabled": false, "method": method, "by": "admin"}); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, id, notify.Notice{Type: NoticeTwoFactorReset, Title: "Two-factor authentication was reset",
			Body: "An administrator removed your second factor and backup codes and signed you out everywhere. Set up two-factor authentication again."}); err != nil {
			return err
		}
		out, err = s.details(ctx, tx, id)
		return err
	})
	return out, err
}

// setStatus changes the locked row with fn and stamps UpdatedAt.
func (s *Service) setStatus(ctx context.Context, tx store.Repos, id string, fn func(*store.User) error) error {
	_, err := tx.Users().Update(ctx, id, func(u *store.User) error {
		if err := fn(u); err != nil {
			return err
		}
		u.UpdatedAt = s.cfg.Now().UTC()
		return nil
	})
	return err
}

// notify creates an in-app notice in tx, unless the user turned them off.
func (s *Service) notify(ctx context.Context, tx store.Repos, id string, n notify.Notice) error {
	_, err := s.cfg.InApp.Notify(ctx, tx, id, n)
	return err
}
