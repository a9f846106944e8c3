package users

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/sessions"
	"github.com/usermgmt/usermgmt/store"
)

// DefaultRecoveryWindow is how long a soft-deleted account can be
// recovered when AccountConfig.RecoveryWindow is zero.
const DefaultRecoveryWindow = 30 * 24 * time.Hour

// Eraser erases an account's personal data now: the row, what belongs to
// it, and the personal data in its audit rows. (*gdpr.Service).Erase is
// the library's implementation. Erase returns an error matching
// store.ErrUserNotFound when no such user exists.
type Eraser interface {
	Erase(ctx context.Context, userID string) error
}

// EraserFunc adapts a function to Eraser.
type EraserFunc func(ctx context.Context, userID string) error

// Erase calls f.
func (f EraserFunc) Erase(ctx context.Context, userID string) error { return f(ctx, userID) }

// AccountConfig is what an Account needs. Store, Audit, Auth, Sessions
// and RBAC are required.
type AccountConfig struct {
	Store store.Store
	Audit *audit.Log
	// Auth checks recent authentication and credentials, with the login
	// lock-out.
	Auth *auth.Service
	// Sessions revokes the account's sessions in the transaction that
	// changes its status.
	Sessions *sessions.Service
	// RBAC guards the last administrator.
	RBAC *rbac.Service
	// Eraser erases an account for PermanentDelete. Default: none, and
	// PermanentDelete changes nothing and returns an internal error.
	Eraser Eraser
	// RecoveryWindow is how long Delete keeps an account recoverable.
	// Default: DefaultRecoveryWindow.
	RecoveryWindow time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives failures to audit a refusal. Default: discard.
	Logger *slog.Logger
}

// Account is the account lifecycle seen from the user's side:
// deactivation and reactivation, soft deletion with a recovery window,
// recovery, and permanent deletion. Signed-in operations take the user
// from the actor in the context (store.ActorFromContext); the host's own
// code may act for any user with store.SystemActor, which needs no
// password.
type Account struct {
	cfg    AccountConfig
	events *events.Recorder
}

// NewAccount returns an Account, or an error naming a missing dependency
// or a recovery window that is not positive.
func NewAccount(cfg AccountConfig) (*Account, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("users: AccountConfig.Store is nil")
	case cfg.Audit == nil:
		return nil, errors.New("users: AccountConfig.Audit is nil")
	case cfg.Auth == nil:
		return nil, errors.New("users: AccountConfig.Auth is nil")
	case cfg.Sessions == nil:
		return nil, errors.New("users: AccountConfig.Sessions is nil")
	case cfg.RBAC == nil:
		return nil, errors.New("users: AccountConfig.RBAC is nil")
	case cfg.RecoveryWindow < 0:
		return nil, errors.New("users: AccountConfig.RecoveryWindow must be positive")
	}
	if cfg.RecoveryWindow == 0 {
		cfg.RecoveryWindow = DefaultRecoveryWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Account{cfg: cfg, events: events.NewRecorder(cfg.Now)}, nil
}

// RecoveryWindow returns how long a soft-deleted account stays
// recoverable.
func (a *Account) RecoveryWindow() time.Duration { return a.cfg.RecoveryWindow }

// Audit actions of the account lifecycle.
const (
	ActionDeactivate      = "account.deactivate"
	ActionReactivate      = "account.reactivate"
	ActionDelete          = "account.delete"
	ActionRecover         = "account.recover"
	ActionPermanentDelete = "account.permanent_delete"
)

// Deactivate deactivates the actor's own account (userID): its status
// becomes deactivated and every session of it is revoked, in one
// transaction with the audit row. Login then answers ErrAccountDeactivated
// after a correct password, until Reactivate.
//
// A signed-in user must give their password (a VALIDATION_FAILED error
// names it when empty), checked by auth's RequireRecentAuth even on a
// recent session: ErrInvalidPassword for a wrong one, counted toward the
// login lock-out. Deactivate returns ErrPermissionDenied when the actor is
// another user, ErrLastAdmin for the last active administrator, and
// ErrConflict for an account that is not active.
func (a *Account) Deactivate(ctx context.Context, userID, password string) error {
	return a.change(ctx, userID, password, ActionDeactivate, func(u *store.User, _ time.Time) error {
		if u.Status != store.StatusActive {
			return store.ErrConflict.WithMessage("account is not active")
		}
		u.Status = store.StatusDeactivated
		return nil
	})
}

// Delete soft-deletes the actor's own account (userID), as Deactivate
// does with the same checks: status deleted, DeletedAt now, and the purge
// due after the recovery window, which it returns. The row stays, so the
// email and username stay reserved; Login answers ErrAccountDeleted (with
// purgeAfter) after a correct password, and Recover restores the account
// within the window. An active or deactivated account can be deleted;
// another is ErrConflict.
func (a *Account) Delete(ctx context.Context, userID, password string) (purgeAfter time.Time, err error) {
	err = a.change(ctx, userID, password, ActionDelete, func(u *store.User, now time.Time) error {
		if u.Status != store.StatusActive && u.Status != store.StatusDeactivated {
			return store.ErrConflict.WithMessage("account is not active")
		}
		purgeAfter = now.Add(a.cfg.RecoveryWindow)
		u.Status, u.DeletedAt, u.PurgeAfter = store.StatusDeleted, &now, &purgeAfter
		return nil
	})
	return purgeAfter, err
}

// PermanentDelete erases the actor's own account (userID) now, with the
// checks of Deactivate. It first soft-deletes the account with its purge
// due at once, revokes its sessions and gives up its administrator role
// (so that a parallel erasure of another administrator meets the
// last-admin rule), in one transaction; then it calls the Eraser. Should
// erasure fail, the account stays deleted and unrecoverable for the purge
// job to finish.
func (a *Account) PermanentDelete(ctx context.Context, userID, password string) error {
	if a.cfg.Eraser == nil {
		return store.ErrInternal.Wrap(errors.New("users: no Eraser configured for permanent deletion"))
	}
	err := a.change(ctx, userID, password, ActionPermanentDelete, func(u *store.User, now time.Time) error {
		u.Status, u.PurgeAfter = store.StatusDeleted, &now
		if u.DeletedAt == nil {
			u.DeletedAt = &now
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.cfg.Eraser.Erase(ctx, userID)
}

// statusEvent is the event of a lifecycle action, nil for a permanent
// deletion, whose erasure emits its own UserDeleted.
func statusEvent(action string) events.Payload {
	switch action {
	case ActionDeactivate:
		return events.UserDeactivated{}
	case ActionDelete:
		return events.UserDeleted{}
	case ActionReactivate:
		return events.UserActivated{Reason: "reactivate"}
	case ActionRecover:
		return events.UserActivated{Reason: "recover"}
	}
	return nil
}

// change runs one signed-in lifecycle change: the actor check, the
// password and recent authentication, then in one transaction the
// last-admin rule, the row change, revocation of every session and the
// audit row.
func (a *Account) change(ctx context.Context, userID, password, action string, fn func(*store.User, time.Time) error) error {
	actor, ok := store.ActorFromContext(ctx)
	switch {
	case !ok || actor.IsZero():
		return store.ErrUnauthenticated
	case !actor.System && actor.UserID != userID:
		return store.ErrPermissionDenied
	case !actor.System && password == "":
		return store.Validation(store.FieldError{Field: "password", Message: "is required"})
	}
	if err := a.cfg.Auth.RequireRecentAuth(ctx, password); err != nil {
		return err
	}
	now := a.cfg.Now()
	err := a.cfg.Store.InTx(ctx, func(tx store.Repos) error {
		if err := a.guardLastAdmin(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := tx.Users().Update(ctx, userID, func(u *store.User) error { return fn(u, now) }); err != nil {
			return err
		}
		if action == ActionPermanentDelete {
			if err := a.dropAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		if _, err := a.cfg.Sessions.RevokeUser(ctx, tx, userID, "", action, "session.revoke_all"); err != nil {
			return err
		}
		if p := statusEvent(action); p != nil {
			if err := a.events.Emit(ctx, tx, userID, p); err != nil {
				return err
			}
		}
		return a.cfg.Audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: userID})
	})
	if errors.Is(err, store.ErrLastAdmin) {
		a.recordRefusal(ctx, action, userID, store.OutcomeDenied, "last_admin")
	}
	return err
}

// guardLastAdmin applies rbac's last-admin rule (which takes the admin
// role's lock, serialising every such check) and then also refuses when
// no other holder of the admin role is active: a deactivated or deleted
// administrator still holds the role but cannot sign in.
func (a *Account) guardLastAdmin(ctx context.Context, tx store.Repos, userID string) error {
	if err := a.cfg.RBAC.GuardLastAdmin(ctx, tx, userID); err != nil {
		return err
	}
	if !a.isAdmin(ctx, tx, userID) {
		return nil
	}
	page, err := tx.Users().List(ctx, store.UserFilter{Role: store.RoleAdmin, Status: store.StatusActive},
		store.ListRequest{Limit: 2})
	if err != nil {
		return err
	}
	for _, u := range page.Items {
		if u.ID != userID {
			return nil
		}
	}
	return store.ErrLastAdmin
}

func (a *Account) isAdmin(ctx context.Context, tx store.Repos, userID string) bool {
	held, err := tx.Roles().RolesOf(ctx, userID)
	if err != nil {
		return false
	}
	for _, r := range held {
		if r.Name == store.RoleAdmin {
			return true
		}
	}
	return false
}

// dropAdmin removes the admin role from userID, if held.
func (a *Account) dropAdmin(ctx context.Context, tx store.Repos, userID string) error {
	if !a.isAdmin(ctx, tx, userID) {
		return nil
	}
	admin, err := tx.Roles().ByName(ctx, store.RoleAdmin)
	if err != nil {
		return err
	}
	return tx.Roles().Unassign(ctx, userID, admin.ID)
}

// Reactivate makes a deactivated account active again, for a caller who
// is not signed in (a deactivated account has no sessions). It checks the
// identifier (email or username) and password as login does, with the
// same lock-out and the same work for unknown accounts, and answers an
// unknown account, a wrong password and an account that is not
// deactivated alike: ErrInvalidCredentials. It returns the account as
// written, with its roles.
func (a *Account) Reactivate(ctx context.Context, identifier, password string) (*Profile, error) {
	return a.restore(ctx, identifier, password, ActionReactivate, func(u *store.User, _ time.Time) bool {
		return u.Status == store.StatusDeactivated
	})
}

// Recover restores a soft-deleted account to active within its recovery
// window (before PurgeAfter), with the checks and the single answer for
// every refusal of Reactivate: a purge that is due, an unknown account, a
// wrong password and an account that is not deleted are all
// ErrInvalidCredentials.
func (a *Account) Recover(ctx context.Context, identifier, password string) (*Profile, error) {
	return a.restore(ctx, identifier, password, ActionRecover, func(u *store.User, now time.Time) bool {
		return u.Status == store.StatusDeleted && u.PurgeAfter != nil && now.Before(*u.PurgeAfter)
	})
}

// restore checks the credentials and, when eligible says so of the row
// read under the update lock, makes the account active again.
func (a *Account) restore(ctx context.Context, identifier, password, action string, eligible func(*store.User, time.Time) bool) (*Profile, error) {
	u, err := a.cfg.Auth.VerifyCredentials(ctx, identifier, password, action)
	if err != nil {
		return nil, err
	}
	now := a.cfg.Now()
	out := new(Profile)
	err = a.cfg.Store.InTx(ctx, func(tx store.Repos) error {
		var err error
		out.User, err = tx.Users().Update(ctx, u.ID, func(cur *store.User) error {
			if !eligible(cur, now) {
				return store.ErrInvalidCredentials
			}
			cur.Status, cur.DeletedAt, cur.PurgeAfter = store.StatusActive, nil, nil
			return nil
		})
		if err != nil {
			return err
		}
		roles, err := tx.Roles().RolesOf(ctx, u.ID)
		if err != nil {
			return err
		}
		out.Roles = make([]string, len(roles))
		for i, r := range roles {
			out.Roles[i] = r.Name
		}
		if err := a.events.Emit(ctx, tx, u.ID, statusEvent(action)); err != nil {
			return err
		}
		return a.cfg.Audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: u.ID, ActorID: u.ID})
	})
	if errors.Is(err, store.ErrInvalidCredentials) {
		a.recordRefusal(ctx, action, u.ID, store.OutcomeFailure, "not_eligible")
		return nil, audit.MarkRecorded(store.ErrInvalidCredentials)
	}
	if errors.Is(err, store.ErrUserNotFound) {
		// Erased meanwhile: answer as for any unknown account.
		return nil, store.ErrInvalidCredentials
	}
	return out, err
}

func (a *Account) recordRefusal(ctx context.Context, action, target string, outcome store.Outcome, reason string) {
	e := audit.Entry{Action: action, TargetID: target, Outcome: outcome, Metadata: map[string]string{"reason": reason}}
	if _, ok := store.ActorFromContext(ctx); !ok {
		e.ActorID = target
	}
	if err := a.cfg.Audit.RecordNow(ctx, e); err != nil {
		a.cfg.Logger.ErrorContext(ctx, "audit refusal failed", "action", action, "err", err)
	}
}
