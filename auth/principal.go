package auth

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID    string
	SessionID string
	// ImpersonatorID is the admin acting as UserID, if any.
	ImpersonatorID string
	// Roles are the user's current role names (not the token's claim, which
	// may be stale).
	Roles []string
	// Permissions is the union of the roles' permissions.
	Permissions map[string]bool
}

// Can reports whether the principal holds the permission.
func (p *Principal) Can(permission string) bool { return p.Permissions[permission] }

// Actor returns the audit actor of the principal.
func (p *Principal) Actor() store.Actor {
	return store.Actor{UserID: p.UserID, SessionID: p.SessionID, ImpersonatorID: p.ImpersonatorID}
}

// Authenticate checks a bearer access token and returns its principal. The
// token's session must be live, its user active, and the fingerprint the
// same as at login when the session is bound to one. What the store says
// of the session, the user and the roles comes from the sessions service,
// never older than its staleness bound and fresh at once after a change
// this process made.
func (s *Service) Authenticate(ctx context.Context, token, fingerprint string) (*Principal, error) {
	claims, err := s.tokens.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	st, err := s.sessions.State(ctx, claims.SessionID)
	if err != nil {
		return nil, err
	}
	if st.UserID != claims.UserID || !st.Active(s.now()) || !sameFingerprint(st.FingerprintHash, fingerprint) {
		return nil, store.ErrUnauthenticated
	}
	return &Principal{
		UserID: claims.UserID, SessionID: claims.SessionID, ImpersonatorID: claims.ActorID,
		Roles: st.Roles, Permissions: st.Permissions,
	}, nil
}
