package admin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/users"
)

// Audit actions of user management. Each is written with the admin as
// actor and the user as target; refusals under the same action with
// outcome denied.
const (
	ActionList   = "admin.user_list"
	ActionRead   = "admin.user_read"
	ActionCreate = "admin.user_create"
	ActionUpdate = "admin.user_update"
	ActionDelete = "admin.user_delete"
)

// User is a user as an administrator sees it: the row (SuspendedReason
// included) with its roles, and what the store knows of its sign-ins.
type User struct {
	*store.User
	// Roles are the names of the user's roles, ordered ignoring case.
	Roles []string
	// SessionCount is the number of live sessions.
	SessionCount int
	// FailedLoginCount is the count of failed logins in the lock-out
	// window; LockedUntil the end of an automatic lock-out still running,
	// or nil.
	FailedLoginCount int
	LockedUntil      *time.Time
}

// List returns one page of the users matching f (soft-deleted ones too,
// with status deleted), each with its roles, for an actor holding
// USER_READ. Sorts and paging are those of store.UserStore.List.
func (s *Service) List(ctx context.Context, f UserFilter, r store.ListRequest) (store.Page[User], error) {
	if _, err := s.cfg.RBAC.Require(ctx, rbac.UserRead, ActionList, ""); err != nil {
		return store.Page[User]{}, err
	}
	page, err := s.st.Users().List(ctx, f, r)
	if err != nil {
		return store.Page[User]{}, err
	}
	ids := make([]string, len(page.Items))
	for i := range page.Items {
		ids[i] = page.Items[i].ID
	}
	names, err := s.st.Roles().NamesOf(ctx, ids)
	if err != nil {
		return store.Page[User]{}, err
	}
	out := store.Page[User]{Items: make([]User, len(page.Items)), NextCursor: page.NextCursor, Total: page.Total}
	for i := range page.Items {
		out.Items[i] = User{User: &page.Items[i], Roles: names[page.Items[i].ID]}
	}
	return out, nil
}

// User returns the details of one user for an actor holding USER_READ,
// or ErrUserNotFound.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	if _, err := s.cfg.RBAC.Require(ctx, rbac.UserRead, ActionRead, id); err != nil {
		return nil, err
	}
	return s.details(ctx, s.st, id)
}

// details reads a user with roles, live sessions and lock-out state.
func (s *Service) details(ctx context.Context, r store.Repos, id string) (*User, error) {
	u, err := r.Users().ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	names, err := r.Roles().NamesOf(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	sessions, err := r.Sessions().List(ctx, id, now, store.ListRequest{Limit: 1, IncludeTotal: true})
	if err != nil {
		return nil, err
	}
	// Failures are counted under the account's email (auth.Service.Login).
	failures, err := r.Lockout().Failures(ctx, u.Email)
	if err != nil {
		return nil, err
	}
	out := &User{User: u, Roles: names[id], SessionCount: *sessions.Total, FailedLoginCount: failures.Count}
	if failures.LockedUntil != nil && failures.LockedUntil.After(now) {
		out.LockedUntil = failures.LockedUntil
	}
	return out, nil
}

// NewUser is an account an administrator creates.
type NewUser struct {
	Email     string
	Username  string
	FirstName string
	LastName  string
	// Password, when empty, makes the user invited: they get a link to set
	// one (auth.Service.QueueInvite) and cannot sign in before.
	Password string
	// Roles are role names; nil gives the roles of a sign-up.
	Roles []string
	// EmailVerified marks the address as verified from the start.
	EmailVerified bool
	// SendInvite mails the invitation of a user without a password; nil
	// means true. A user with a password gets no mail either way.
	SendInvite *bool
}

// Create creates an account for an actor holding USER_CREATE. Roles other
// than those of a sign-up also need ROLE_ASSIGN and every permission they
// grant (nobody grants what they lack); an unknown role name is
// ErrRoleNotFound. Fields are checked as at registration (a Validation
// naming each, ErrWeakPassword, ErrUsernameReserved), duplicates are
// ErrEmailTaken or ErrUsernameTaken. The user, the roles, the invitation
// link, the audit row and the UserCreated event are one transaction; the
// mail goes out after it commits.
func (s *Service) Create(ctx context.Context, in NewUser) (*User, error) {
	actor, err := s.cfg.RBAC.Require(ctx, rbac.UserCreate, ActionCreate, "")
	if err != nil {
		return nil, err
	}
	roles := in.Roles
	if roles == nil {
		roles = s.cfg.Auth.SignUpRoles()
	} else if beyond(roles, s.cfg.Auth.SignUpRoles()) {
		if _, err := s.cfg.RBAC.Require(ctx, rbac.RoleAssign, ActionCreate, ""); err != nil {
			return nil, err
		}
	}
	u, err := s.cfg.Auth.NewAccount(auth.Registration{Email: in.Email, Password: in.Password,
		Username: in.Username, FirstName: in.FirstName, LastName: in.LastName})
	if err != nil {
		return nil, err
	}
	u.EmailVerified = in.EmailVerified
	invite := in.Password == "" && (in.SendInvite == nil || *in.SendInvite)
	var denied string
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		denied = ""
		held, err := rolesNamed(ctx, tx, roles)
		if err != nil {
			return err
		}
		if denied, err = s.grantable(ctx, tx, actor, held); err != nil {
			return err
		}
		if err := s.cfg.Auth.InsertAccount(ctx, tx, u, roles...); err != nil {
			return err
		}
		if invite {
			if err := s.cfg.Auth.QueueInvite(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		names := make([]string, len(held))
		for i, r := range held {
			names[i] = r.Name
		}
		return s.record(ctx, tx, ActionCreate, u.ID, map[string]string{"roles": strings.Join(names, ";")},
			store.EventUserCreated, map[string]any{"roles": names, "invited": in.Password == "", "emailVerified": u.EmailVerified})
	})
	if err != nil {
		return nil, s.refused(ctx, ActionCreate, "", denied, err)
	}
	return s.details(ctx, s.st, u.ID)
}

// rolesNamed loads the roles of the given names, or ErrRoleNotFound
// naming the first unknown one.
func rolesNamed(ctx context.Context, tx store.Repos, names []string) ([]store.Role, error) {
	out := make([]store.Role, 0, len(names))
	for _, n := range names {
		r, err := tx.Roles().ByName(ctx, n)
		if errors.Is(err, store.ErrRoleNotFound) {
			return nil, store.ErrRoleNotFound.WithMessage("no role is named " + quote(n))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// beyond reports whether names holds a name outside set, ignoring case.
func beyond(names, set []string) bool {
	in := make(map[string]bool, len(set))
	for _, n := range set {
		in[strings.ToLower(n)] = true
	}
	for _, n := range names {
		if !in[strings.ToLower(n)] {
			return true
		}
	}
	return false
}

func quote(s string) string { return `"` + s + `"` }

// UserChange is what an administrator may edit of a user: the profile
// fields a user edits themselves, with Email set at once (it stops being
// verified unless EmailVerified says otherwise, and a pending change of
// address is withdrawn). Status, roles, passwords and second factors
// change through their own actions. A nil field is not sent; a pointer
// to "" clears the field.
type UserChange struct {
	users.ProfileChange
	// EmailVerified sets the verified flag.
	EmailVerified *bool
}

// Update edits a user for an actor holding USER_UPDATE and every
// permission the user holds; changing the email also needs USER_MANAGE. Invalid fields are a Validation naming each;
// a taken email or username ErrEmailTaken or ErrUsernameTaken. The change
// is one locked update with its audit row and a UserUpdated event naming
// the changed fields (never their values).
func (s *Service) Update(ctx context.Context, id string, ch UserChange) (*User, error) {
	if ch.Password != "" {
		return nil, store.Validation(store.FieldError{Field: "password", Message: "is not a field an administrator edits: use reset-password"})
	}
	if err := ch.Validate(); err != nil {
		return nil, err
	}
	actor, err := s.cfg.RBAC.Require(ctx, rbac.UserUpdate, ActionUpdate, id)
	if err != nil {
		return nil, err
	}
	// A new address plus a password reset is the account: changing it is
	// account control (USER_MANAGE, as reset-password), not profile
	// editing, so a moderator cannot take over the users they edit.
	if ch.Email != nil {
		if _, err := s.cfg.RBAC.Require(ctx, rbac.UserManage, ActionUpdate, id); err != nil {
			return nil, err
		}
	}
	var out *User
	err = s.actAs(ctx, actor, ActionUpdate, id, func(tx store.Repos, _ store.Actor) error {
		var changed []string
		cancelEmail := false
		_, err := tx.Users().Update(ctx, id, func(u *store.User) error {
			changed = ch.Apply(u)
			if ch.Email != nil && !strings.EqualFold(u.Email, *ch.Email) {
				u.Email, u.EmailVerified = *ch.Email, false
				changed = append(changed, "email")
			}
			if ch.Email != nil && u.PendingEmail != "" {
				u.PendingEmail, cancelEmail = "", true
				changed = append(changed, "pendingEmail")
			}
			if ch.EmailVerified != nil && u.EmailVerified != *ch.EmailVerified {
				u.EmailVerified = *ch.EmailVerified
				changed = append(changed, "emailVerified")
			}
			if len(changed) > 0 {
				u.UpdatedAt = s.cfg.Now().UTC()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if cancelEmail {
			if err := s.cfg.Auth.CancelEmailChange(ctx, tx, id); err != nil {
				return err
			}
		}
		if len(changed) > 0 {
			err := s.record(ctx, tx, ActionUpdate, id, map[string]string{"fields": strings.Join(changed, ",")},
				store.EventUserUpdated, map[string]any{"fields": changed})
			if err != nil {
				return err
			}
		}
		out, err = s.details(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete soft-deletes a user for an actor holding USER_DELETE and every
// permission the user holds: status deleted, recoverable by the user
// within the recovery window, every session revoked. permanent erases
// the user's personal data now instead (gdpr.Service.Erase). The last
// active administrator cannot be deleted (ErrLastAdmin); a user already
// deleted is ErrConflict unless permanent. Audited with a UserDeleted
// event.
func (s *Service) Delete(ctx context.Context, id string, permanent bool) error {
	err := s.act(ctx, rbac.UserDelete, ActionDelete, id, func(tx store.Repos, _ store.Actor) error {
		if err := s.cfg.Account.GuardLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		now := s.cfg.Now().UTC()
		_, err := tx.Users().Update(ctx, id, func(u *store.User) error {
			if u.Status == store.StatusDeleted && !permanent {
				return store.ErrConflict.WithMessage("user is already deleted")
			}
			purge := now.Add(s.cfg.Account.RecoveryWindow())
			if permanent {
				// Due at once: should erasure fail below, the purge job
				// finishes it.
				purge = now
			}
			if u.DeletedAt == nil {
				u.DeletedAt = &now
			}
			u.Status, u.PurgeAfter, u.UpdatedAt = store.StatusDeleted, &purge, now
			return nil
		})
		if err != nil {
			return err
		}
		if _, err := s.cfg.Sessions.RevokeUser(ctx, tx, id, "", ActionDelete, "session.revoke_all"); err != nil {
			return err
		}
		md := map[string]string{"permanent": boolText(permanent)}
		return s.record(ctx, tx, ActionDelete, id, md, store.EventUserDeleted, map[string]any{"permanent": permanent})
	})
	if err != nil || !permanent {
		return err
	}
	return s.cfg.GDPR.Erase(ctx, id)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
