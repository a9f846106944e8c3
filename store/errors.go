package store

import (
	"errors"
	"net/http"
)

// Error is the one error type clients see. Code is a stable upper-snake
// identifier that clients branch on; Status is the HTTP status the edge
// answers with; Message is safe to show to anyone. Err is the cause: it is
// logged and never sent.
//
// Errors are matched with errors.Is against the sentinel values below, which
// compares codes. A specific not-found or conflict error also matches the
// generic ErrNotFound or ErrConflict, so a caller that only cares about the
// class can ask for that.
type Error struct {
	Code    string
	Status  int
	Message string
	// Fields lists the offending input fields of a VALIDATION_FAILED error.
	Fields []FieldError
	// Extra holds additional members for the problem document, such as
	// "purgeAfter" on ACCOUNT_DELETED. Values must be JSON-encodable.
	Extra map[string]any
	Err   error
}

// FieldError names one invalid input field and says why it is invalid.
type FieldError struct {
	Field   string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, or is the
// generic ErrNotFound or ErrConflict and e is of that class.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	switch {
	case t.Code == e.Code:
		return true
	case t.Code == ErrNotFound.Code:
		return e.Status == http.StatusNotFound
	case t.Code == ErrConflict.Code:
		return e.Status == http.StatusConflict
	}
	return false
}

// WithMessage returns a copy of e with a more specific safe message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// Wrap returns a copy of e whose cause is err.
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// With returns a copy of e carrying an extra problem member.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		c.Extra[k] = v
	}
	c.Extra[key] = value
	return &c
}

// Validation returns a VALIDATION_FAILED error naming the invalid fields.
func Validation(fields ...FieldError) *Error {
	c := *ErrValidation
	c.Fields = fields
	return &c
}

// AsError returns err as an *Error when it is one (or wraps one), and
// ErrInternal wrapping err otherwise.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal.Wrap(err)
}

func newError(status int, code, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// Sentinel errors. Their codes and statuses are part of the HTTP contract.
var (
	ErrValidation        = newError(400, "VALIDATION_FAILED", "validation failed")
	ErrMalformedJSON     = newError(400, "MALFORMED_JSON", "request body is not valid JSON")
	ErrInvalidToken      = newError(400, "INVALID_TOKEN", "token is invalid, spent or expired")
	ErrInvalidCode       = newError(400, "INVALID_CODE", "code is invalid")
	ErrMFANotEnabled     = newError(400, "MFA_NOT_ENABLED", "two-factor authentication is not enabled")
	ErrMFAAlreadyEnabled = newError(400, "MFA_ALREADY_ENABLED", "two-factor authentication is already enabled")

	ErrUnauthenticated     = newError(401, "UNAUTHENTICATED", "authentication required")
	ErrTokenExpired        = newError(401, "TOKEN_EXPIRED", "access token has expired")
	ErrInvalidCredentials  = newError(401, "INVALID_CREDENTIALS", "invalid credentials")
	ErrInvalidRefreshToken = newError(401, "INVALID_REFRESH_TOKEN", "refresh token is invalid")
	ErrMFATokenInvalid     = newError(401, "MFA_TOKEN_INVALID", "mfa token is invalid or expired")

	ErrPermissionDenied = newError(403, "PERMISSION_DENIED", "permission denied")
	ErrInvalidPassword  = newError(403, "INVALID_PASSWORD", "current password is wrong")
	// ErrReauthenticationRequired refuses a sensitive change (a second
	// factor, the email, deleting or deactivating the account) made without
	// a recent sign-in or step-up and without the current password.
	ErrReauthenticationRequired = newError(403, "REAUTHENTICATION_REQUIRED", "sign in again or give your current password to make this change")
	ErrAccountDeactivated       = newError(403, "ACCOUNT_DEACTIVATED", "account is deactivated")
	ErrAccountSuspended         = newError(403, "ACCOUNT_SUSPENDED", "account is suspended")
	ErrAccountDeleted           = newError(403, "ACCOUNT_DELETED", "account is deleted")
	ErrEmailNotVerified         = newError(403, "EMAIL_NOT_VERIFIED", "email address is not verified")

	ErrNotFound             = newError(404, "NOT_FOUND", "not found")
	ErrUserNotFound         = newError(404, "USER_NOT_FOUND", "user not found")
	ErrRoleNotFound         = newError(404, "ROLE_NOT_FOUND", "role not found")
	ErrSessionNotFound      = newError(404, "SESSION_NOT_FOUND", "session not found")
	ErrNotificationNotFound = newError(404, "NOTIFICATION_NOT_FOUND", "notification not found")

	ErrMethodNotAllowed = newError(405, "METHOD_NOT_ALLOWED", "method not allowed")

	ErrConflict      = newError(409, "CONFLICT", "conflict")
	ErrEmailTaken    = newError(409, "EMAIL_TAKEN", "email is already registered")
	ErrUsernameTaken = newError(409, "USERNAME_TAKEN", "username is already taken")
	ErrRoleExists    = newError(409, "ROLE_EXISTS", "a role with that name exists")
	ErrRoleInUse     = newError(409, "ROLE_IN_USE", "role is still assigned to users")

	ErrPayloadTooLarge      = newError(413, "PAYLOAD_TOO_LARGE", "request body is too large")
	ErrUnsupportedMediaType = newError(415, "UNSUPPORTED_MEDIA_TYPE", "unsupported media type")

	ErrWeakPassword     = newError(422, "WEAK_PASSWORD", "password is too weak")
	ErrPasswordReused   = newError(422, "PASSWORD_REUSED", "password was used recently")
	ErrUsernameReserved = newError(422, "USERNAME_RESERVED", "username is reserved")
	ErrLastAdmin        = newError(422, "LAST_ADMIN", "the last administrator cannot be removed")
	ErrBuiltinRole      = newError(422, "BUILTIN_ROLE", "built-in roles cannot be changed that way")
	ErrImageTooLarge    = newError(422, "IMAGE_TOO_LARGE", "image dimensions are too large")

	ErrAccountLocked    = newError(423, "ACCOUNT_LOCKED", "account is temporarily locked")
	ErrRateLimited      = newError(429, "RATE_LIMITED", "too many requests")
	ErrInternal         = newError(500, "INTERNAL", "internal error")
	ErrStoreUnavailable = newError(503, "STORE_UNAVAILABLE", "store is unavailable")
)
