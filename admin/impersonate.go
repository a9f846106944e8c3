package admin

import (
	"context"
	"time"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/textutil"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// ActionImpersonate is the audit action of an impersonation, written with
// the admin as actor and the user as target.
const ActionImpersonate = "admin.impersonate"

// Lifetimes of an impersonation token.
const (
	DefaultImpersonationTTL = 10 * time.Minute
	MaxImpersonationTTL     = 15 * time.Minute
)

// Impersonation is an access token with which an administrator acts as a
// user. It has no refresh token: when it expires the administrator asks
// again, and is checked again.
type Impersonation struct {
	AccessToken string
	ExpiresAt   time.Time
	ExpiresIn   time.Duration
	// SessionID is the session the token belongs to: one of the user's
	// sessions, listed to them, that ends when the token does. Revoking
	// it (the user signing it out, a suspension, an admin revoking the
	// user's sessions) ends the impersonation at once.
	SessionID string
	// UserID is the user acted as; ImpersonatorID the administrator.
	UserID         string
	ImpersonatorID string
}

// Impersonate issues an access token acting as the user id, with
// act.sub naming the actor, for an actor holding ADMIN_ACCESS. It refuses
// (ErrPermissionDenied, audited as denied) a user holding any permission
// the actor lacks, an actor who is themself impersonating someone, the
// actor's own account, and SystemActor (an impersonation names a person).
// A user who cannot sign in is refused as a login would be:
// ErrAccountSuspended, ErrAccountLocked, ErrAccountDeactivated,
// ErrAccountDeleted. The token lives Config.ImpersonationTTL (at most the
// access-token lifetime) in a session of its own; every request made with
// it is audited with both ids (store.Actor.ImpersonatorID). The session,
// the audit row and a notice to the user are one transaction.
func (s *Service) Impersonate(ctx context.Context, id string) (*Impersonation, error) {
	actor, err := s.cfg.RBAC.Require(ctx, rbac.AdminAccess, ActionImpersonate, id)
	if err != nil {
		return nil, err
	}
	switch {
	case actor.System:
		return nil, s.refused(ctx, ActionImpersonate, id, string(rbac.AdminAccess),
			store.ErrPermissionDenied.WithMessage("an impersonation needs a signed-in administrator"))
	case actor.ImpersonatorID != "":
		return nil, s.refused(ctx, ActionImpersonate, id, string(rbac.AdminAccess),
			store.ErrPermissionDenied.WithMessage("an impersonation token cannot impersonate"))
	case actor.UserID == id:
		return nil, s.refused(ctx, ActionImpersonate, id, string(rbac.AdminAccess),
			store.ErrPermissionDenied.WithMessage("you cannot impersonate yourself"))
	}
	now := s.cfg.Now().UTC()
	req := store.RequestFromContext(ctx)
	sess := &store.Session{UserID: id, DeviceName: "Impersonation by an administrator", IP: req.IP,
		UserAgent: req.UserAgent, ImpersonatorID: actor.UserID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.ImpersonationTTL)}
	var roles []string
	err = s.actAs(ctx, actor, ActionImpersonate, id, func(tx store.Repos, _ store.Actor) error {
		u, err := tx.Users().ByID(ctx, id)
		if err != nil {
			return err
		}
		if err := impersonable(u); err != nil {
			return err
		}
		sess.ID = ""
		if err := tx.Sessions().Create(ctx, sess); err != nil {
			return err
		}
		names, err := tx.Roles().NamesOf(ctx, []string{id})
		if err != nil {
			return err
		}
		roles = names[id]
		md := map[string]string{"session_id": sess.ID, "expires_at": sess.ExpiresAt.Format(time.RFC3339)}
		if err := s.audit(ctx, tx, ActionImpersonate, id, md); err != nil {
			return err
		}
		return s.notify(ctx, tx, id, notify.Notice{Type: NoticeImpersonated, Title: "An administrator signed in as you",
			Body: "An administrator is acting as you for support, for at most " + textutil.HumanDuration(s.cfg.ImpersonationTTL) +
				". You can end it by signing out that session.",
			Data: map[string]string{"sessionId": sess.ID, "impersonatorId": actor.UserID}})
	})
	if err != nil {
		return nil, err
	}
	token, claims, err := s.cfg.Auth.Tokens().Issue(ctx, auth.Claims{UserID: id, SessionID: sess.ID,
		Roles: roles, ActorID: actor.UserID, ExpiresAt: sess.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return &Impersonation{AccessToken: token, ExpiresAt: claims.ExpiresAt, ExpiresIn: claims.ExpiresAt.Sub(claims.IssuedAt),
		SessionID: sess.ID, UserID: id, ImpersonatorID: actor.UserID}, nil
}

// impersonable refuses users who could not sign in themselves.
func impersonable(u *store.User) error {
	switch u.Status {
	case store.StatusActive:
		return nil
	case store.StatusSuspended:
		return store.ErrAccountSuspended
	case store.StatusLocked:
		return store.ErrAccountLocked.WithMessage("account is locked by an administrator")
	case store.StatusDeactivated:
		return store.ErrAccountDeactivated
	}
	return store.ErrAccountDeleted
}
