package events

import (
	"github.com/usermgmt/usermgmt/store"
)

// Payload is the typed content of one kind of event. Each type names the
// event it is the payload of; its fields are ids, field names and small
// facts, never secrets nor personal data (no email, no names), so that an
// event can be kept, forwarded and erased without care.
type Payload interface {
	EventName() store.EventName
}

// UserCreated: an account was created.
type UserCreated struct {
	// Method says how: "register", "admin" or "import".
	Method string `json:"method"`
}

// UserUpdated: profile fields, preferences or the email address changed.
type UserUpdated struct {
	// Fields names the changed fields in the API's spelling ("firstName",
	// "preferences.language", "email"), sorted; never their values.
	Fields []string `json:"fields"`
}

// UserDeleted: an account was deleted.
type UserDeleted struct {
	// Permanent is false for a soft delete that can be recovered within
	// the recovery window, true when the account is gone.
	Permanent bool `json:"permanent"`
}

// UserActivated: a deactivated or soft-deleted account is active again.
type UserActivated struct {
	// Reason is "reactivate" or "recover".
	Reason string `json:"reason"`
}

// UserDeactivated: the user deactivated their account.
type UserDeactivated struct{}

// UserSuspended: an administrator suspended (or lifted the suspension of)
// an account.
type UserSuspended struct {
	Suspended bool `json:"suspended"`
}

// UserBulkAction: an administrator acted on many users at once.
type UserBulkAction struct {
	Action string `json:"action"`
	Count  int    `json:"count"`
}

// LoginSucceeded: the user signed in and a session was created.
type LoginSucceeded struct {
	SessionID string `json:"sessionId"`
}

// LoginFailed: a sign-in to an existing account was refused. Attempts on
// unknown identifiers emit nothing: there is no user to key the event to.
type LoginFailed struct {
	// Reason is a stable code such as "invalid_password", "locked",
	// "suspended", "invalid_second_factor".
	Reason string `json:"reason"`
}

// PasswordChanged: the password was changed by the user or reset with a
// link.
type PasswordChanged struct {
	Reset bool `json:"reset"`
}

// TwoFactorChanged: two-factor authentication was enabled or disabled, or
// the backup codes were regenerated.
type TwoFactorChanged struct {
	// Change is "enabled", "disabled" or "backup_codes_regenerated".
	Change string `json:"change"`
	// Method is the 2FA method ("totp", "email", "sms") where one applies.
	Method string `json:"method,omitempty"`
}

// SessionRevoked: one session, or several of one user, were revoked.
type SessionRevoked struct {
	// SessionID names the session when one was revoked alone.
	SessionID string `json:"sessionId,omitempty"`
	// Count is how many sessions were revoked.
	Count int `json:"count"`
	// Reason is why: "user", "logout_all", "password_change", "admin"...
	Reason string `json:"reason,omitempty"`
}

// EventName implements Payload.
func (UserCreated) EventName() store.EventName { return store.EventUserCreated }

// EventName implements Payload.
func (UserUpdated) EventName() store.EventName { return store.EventUserUpdated }

// EventName implements Payload.
func (UserDeleted) EventName() store.EventName { return store.EventUserDeleted }

// EventName implements Payload.
func (UserActivated) EventName() store.EventName { return store.EventUserActivated }

// EventName implements Payload.
func (UserDeactivated) EventName() store.EventName { return store.EventUserDeactivated }

// EventName implements Payload.
func (UserSuspended) EventName() store.EventName { return store.EventUserSuspended }

// EventName implements Payload.
func (UserBulkAction) EventName() store.EventName { return store.EventUserBulkAction }

// EventName implements Payload.
func (LoginSucceeded) EventName() store.EventName { return store.EventLoginSucceeded }

// EventName implements Payload.
func (LoginFailed) EventName() store.EventName { return store.EventLoginFailed }

// EventName implements Payload.
func (PasswordChanged) EventName() store.EventName { return store.EventPasswordChanged }

// EventName implements Payload.
func (TwoFactorChanged) EventName() store.EventName { return store.EventTwoFactorChanged }

// EventName implements Payload.
func (SessionRevoked) EventName() store.EventName { return store.EventSessionRevoked }

// newPayload returns a pointer to the zero payload of name, nil for a name
// the library does not define.
func newPayload(name store.EventName) Payload {
	switch name {
	case store.EventUserCreated:
		return &UserCreated{}
	case store.EventUserUpdated:
		return &UserUpdated{}
	case store.EventUserDeleted:
		return &UserDeleted{}
	case store.EventUserActivated:
		return &UserActivated{}
	case store.EventUserDeactivated:
		return &UserDeactivated{}
	case store.EventUserSuspended:
		return &UserSuspended{}
	case store.EventUserBulkAction:
		return &UserBulkAction{}
	case store.EventLoginSucceeded:
		return &LoginSucceeded{}
	case store.EventLoginFailed:
		return &LoginFailed{}
	case store.EventPasswordChanged:
		return &PasswordChanged{}
	case store.EventTwoFactorChanged:
		return &TwoFactorChanged{}
	case store.EventSessionRevoked:
		return &SessionRevoked{}
	}
	return nil
}
