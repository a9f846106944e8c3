package notify

import (
	"strconv"
	"time"
)

// The types of the security notices the library creates. They all start
// with ReservedTypePrefix, which host code cannot use.
const (
	TypeNewDevice        = "security.new_device"
	TypePasswordChanged  = "security.password_changed"
	TypePasswordReset    = "security.password_reset"
	Type2FAEnabled       = "security.2fa_enabled"
	Type2FADisabled      = "security.2fa_disabled"
	TypeEmailChanged     = "security.email_changed"
	TypeSessionsRevoked  = "security.sessions_revoked"
	TypeImpersonated     = "security.impersonated"
	securityNoticeLayout = "2006-01-02 15:04 UTC"
)

// security builds a notice whose Data carries the time ("at", RFC 3339)
// and the facts given as key, value pairs.
func security(typ, title, body string, at time.Time, kv ...string) Notice {
	data := map[string]string{"at": at.UTC().Format(time.RFC3339)}
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i]] = kv[i+1]
	}
	return Notice{Type: typ, Title: title, Body: body, Data: data}
}

// notYou ends the notices of what the user may have done themself.
const notYou = " If this was not you, change your password and review your sessions."

func stamp(at time.Time) string { return at.UTC().Format(securityNoticeLayout) }

// NewDeviceNotice tells a user of a sign-in from a device not seen for
// them before; device is the session's device name.
func NewDeviceNotice(device string, at time.Time) Notice {
	return security(TypeNewDevice, "New sign-in to your account",
		"Your account was signed in to from a new device ("+device+") on "+stamp(at)+"."+notYou, at, "device", device)
}

// PasswordChangedNotice tells a user their password was changed.
func PasswordChangedNotice(at time.Time) Notice {
	return security(TypePasswordChanged, "Your password was changed",
		"The password of your account was changed on "+stamp(at)+"; your other sessions were signed out."+notYou, at)
}

// PasswordResetNotice tells a user their password was reset by link.
func PasswordResetNotice(at time.Time) Notice {
	return security(TypePasswordReset, "Your password was reset",
		"The password of your account was reset with an emailed link on "+stamp(at)+"; your sessions were signed out."+notYou, at)
}

// TwoFAEnabledNotice tells a user 2FA was turned on with method.
func TwoFAEnabledNotice(method string, at time.Time) Notice {
	return security(Type2FAEnabled, "Two-factor authentication turned on",
		"Two-factor authentication was turned on for your account on "+stamp(at)+"."+notYou, at, "method", method)
}

// TwoFADisabledNotice tells a user 2FA was turned off.
func TwoFADisabledNotice(method string, at time.Time) Notice {
	return security(Type2FADisabled, "Two-factor authentication turned off",
		"Two-factor authentication was turned off for your account on "+stamp(at)+"."+notYou, at, "method", method)
}

// EmailChangedNotice tells a user the account's email address changed.
// It names neither address: notices hold no personal data.
func EmailChangedNotice(at time.Time) Notice {
	return security(TypeEmailChanged, "Your email address was changed",
		"The email address of your account was changed on "+stamp(at)+"."+notYou, at)
}

// SessionsRevokedNotice tells a user an administrator signed out n of
// their sessions. The admin service calls it in the transaction of the
// revocation; a user revoking their own sessions gets no notice.
func SessionsRevokedNotice(n int, at time.Time) Notice {
	return security(TypeSessionsRevoked, "You were signed out by an administrator",
		"An administrator signed out "+strconv.Itoa(n)+" of your sessions on "+stamp(at)+". Sign in again to continue.", at, "sessions", strconv.Itoa(n))
}

// ImpersonatedNotice tells a user an administrator started acting as them.
func ImpersonatedNotice(at time.Time) Notice {
	return security(TypeImpersonated, "An administrator signed in as you",
		"An administrator started a session acting as you on "+stamp(at)+". If you did not ask for help with your account, contact support.", at)
}
