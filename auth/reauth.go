package auth

import (
	"context"
	"errors"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// reauthAction is the audit action of a refused recent-authentication
// check.
const reauthAction = "auth.reauthenticate"

// RequireRecentAuth guards a sensitive change (enrolling a second factor,
// changing the email, deleting or deactivating the account) against a
// stolen access token, as Ory Kratos' privileged sessions do. It reads the
// actor from ctx and passes when
//
//   - the actor is store.SystemActor (the host's own code did its checks);
//   - password is empty and the actor's session began with a sign-in, or
//     was stepped up with a second factor, within Config.PrivilegedWindow
//     (a refresh does not count: it keeps the session's sign-in time);
//   - password is the actor's current password.
//
// It returns store.ErrUnauthenticated without an actor,
// store.ErrReauthenticationRequired otherwise (also while an admin
// impersonates the user: the change is the user's to make), and
// store.ErrInvalidPassword for a wrong password, which counts toward the
// account's login lock-out as on change-password (store.ErrAccountLocked
// once it is locked). Refusals are audited (action auth.reauthenticate,
// outcome denied) and marked as recorded: callers add no audit row.
func (s *Service) RequireRecentAuth(ctx context.Context, password string) error {
	a, ok := store.ActorFromContext(ctx)
	switch {
	case ok && a.System:
		return nil
	case !ok || a.UserID == "":
		return store.ErrUnauthenticated
	case a.ImpersonatorID != "":
		return s.refuseReauth(ctx, a, "impersonating", store.ErrReauthenticationRequired)
	case password != "":
		return s.checkCurrentPassword(ctx, a, password)
	}
	recent, err := s.recentSession(ctx, a)
	if err != nil {
		return err
	}
	if !recent {
		return s.refuseReauth(ctx, a, "reauthentication_required", store.ErrReauthenticationRequired)
	}
	return nil
}

// recentSession reports whether the actor's live session began, or was
// stepped up, within the privileged window.
func (s *Service) recentSession(ctx context.Context, a store.Actor) (bool, error) {
	if a.SessionID == "" {
		return false, nil
	}
	sess, err := s.st.Sessions().ByID(ctx, a.SessionID)
	if errors.Is(err, store.ErrSessionNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	now := s.now()
	if sess.UserID != a.UserID || !sess.Active(now) {
		return false, nil
	}
	// A time ahead of this instance's clock (another instance's skew)
	// counts as recent.
	within := func(t *time.Time) bool { return t != nil && now.Sub(*t) <= s.cfg.PrivilegedWindow }
	return within(&sess.CreatedAt) || within(sess.MFAVerifiedAt), nil
}

// checkCurrentPassword checks the actor's password (see
// verifyCurrentPassword).
func (s *Service) checkCurrentPassword(ctx context.Context, a store.Actor, password string) error {
	u, err := s.st.Users().ByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	return s.verifyCurrentPassword(ctx, u, password, reauthAction)
}

// verifyCurrentPassword checks the current password of a signed-in user
// for action (change-password, a recent authentication). Guesses count
// toward the same lock-out as logins, so a stolen access token buys no more
// of them than the login form does; a refusal is audited as denied and
// marked so. A right password clears the count.
func (s *Service) verifyCurrentPassword(ctx context.Context, u *store.User, password, action string) error {
	now := s.now()
	locked, err := s.countAttempt(ctx, u.Email, now)
	if err != nil {
		return err
	}
	if locked != nil {
		s.auditDenied(ctx, action, u.ID, "locked")
		return audit.MarkRecorded(lockedError(*locked, now))
	}
	if !s.checkPassword(u, password) {
		s.auditDenied(ctx, action, u.ID, "invalid_password")
		return audit.MarkRecorded(store.ErrInvalidPassword)
	}
	return s.st.Lockout().Reset(ctx, u.Email)
}

// refuseReauth audits a refusal and marks err as audited.
func (s *Service) refuseReauth(ctx context.Context, a store.Actor, reason string, err error) error {
	s.auditDenied(ctx, reauthAction, a.UserID, reason)
	return audit.MarkRecorded(err)
}
