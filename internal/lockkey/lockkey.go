// Package lockkey names the lock-out counters that more than one service
// counts on, so that they agree on the key without exporting it from
// either.
//
//	f, err := st.Lockout().Failures(ctx, lockkey.MFA(userID))
package lockkey

// MFA is the lock-out identifier that counts a user's wrong second-factor
// codes, for logins (package auth) and for step-up and disabling (package
// twofa) alike. It is apart from the login identifier because a correct
// password clears that one: were codes counted there, signing in again
// would buy an attacker who knows the password fresh guesses. The
// upper-case prefix cannot collide with a typed identifier, which login
// lower-cases; the value is stored, so it must not change.
func MFA(userID string) string { return "MFA:" + userID }
