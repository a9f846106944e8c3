package usermgmt

import (
	"context"

	"github.com/usermgmt/usermgmt/store"
)

// The domain errors, re-exported so that a host matches them with
// errors.Is without importing package store. Each is a *store.Error whose
// Code and HTTP Status are part of the contract (see API.md); a specific
// not-found or conflict error also matches ErrNotFound or ErrConflict.
var (
	ErrValidation               = store.ErrValidation
	ErrMalformedJSON            = store.ErrMalformedJSON
	ErrInvalidToken             = store.ErrInvalidToken
	ErrInvalidCode              = store.ErrInvalidCode
	ErrMFANotEnabled            = store.ErrMFANotEnabled
	ErrMFAAlreadyEnabled        = store.ErrMFAAlreadyEnabled
	ErrUnauthenticated          = store.ErrUnauthenticated
	ErrTokenExpired             = store.ErrTokenExpired
	ErrInvalidCredentials       = store.ErrInvalidCredentials
	ErrInvalidRefreshToken      = store.ErrInvalidRefreshToken
	ErrMFATokenInvalid          = store.ErrMFATokenInvalid
	ErrPermissionDenied         = store.ErrPermissionDenied
	ErrInvalidPassword          = store.ErrInvalidPassword
	ErrReauthenticationRequired = store.ErrReauthenticationRequired
	ErrAccountDeactivated       = store.ErrAccountDeactivated
	ErrAccountSuspended         = store.ErrAccountSuspended
	ErrAccountDeleted           = store.ErrAccountDeleted
	ErrEmailNotVerified         = store.ErrEmailNotVerified
	ErrNotFound                 = store.ErrNotFound
	ErrUserNotFound             = store.ErrUserNotFound
	ErrRoleNotFound             = store.ErrRoleNotFound
	ErrSessionNotFound          = store.ErrSessionNotFound
	ErrNotificationNotFound     = store.ErrNotificationNotFound
	ErrConflict                 = store.ErrConflict
	ErrEmailTaken               = store.ErrEmailTaken
	ErrUsernameTaken            = store.ErrUsernameTaken
	ErrRoleExists               = store.ErrRoleExists
	ErrRoleInUse                = store.ErrRoleInUse
	ErrPayloadTooLarge          = store.ErrPayloadTooLarge
	ErrUnsupportedMediaType     = store.ErrUnsupportedMediaType
	ErrWeakPassword             = store.ErrWeakPassword
	ErrPasswordReused           = store.ErrPasswordReused
	ErrUsernameReserved         = store.ErrUsernameReserved
	ErrLastAdmin                = store.ErrLastAdmin
	ErrBuiltinRole              = store.ErrBuiltinRole
	ErrImageTooLarge            = store.ErrImageTooLarge
	ErrAccountLocked            = store.ErrAccountLocked
	ErrRateLimited              = store.ErrRateLimited
	ErrInternal                 = store.ErrInternal
	ErrStoreUnavailable         = store.ErrStoreUnavailable
)

// Actor is who performs an operation; services read it from the context.
type Actor = store.Actor

// SystemActor is the actor of the host's own trusted code: it passes
// permission checks and is audited as "system".
var SystemActor = store.SystemActor

// NewContextWithActor returns ctx carrying the actor that Go calls made
// with it act as, exactly as the HTTP API does for a signed-in caller:
//
//	ctx = usermgmt.NewContextWithActor(ctx, usermgmt.Actor{UserID: adminID})
//	_, err := m.RBAC().Assign(ctx, userID, roleID) // audited with adminID
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return store.NewContextWithActor(ctx, a)
}

// NewContextWithRequest returns ctx carrying the request facts (id, IP,
// user agent) that audit rows of Go calls made with it record.
func NewContextWithRequest(ctx context.Context, r store.Request) context.Context {
	return store.NewContextWithRequest(ctx, r)
}
