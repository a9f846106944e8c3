// Package twofa is two-factor authentication: TOTP with authenticator apps
// (RFC 6238, 30-second steps, six digits, QR codes for enrolment), codes
// sent by email or SMS, single-use backup codes, step-up verification of a
// session, and the second half of a login (Service implements
// auth.SecondFactor).
//
// Enrolment is two steps: Setup makes a secret (or sends a code) and Enable
// turns 2FA on once a code proves it works, answering 10 backup codes that
// are shown once:
//
//	e, err := tf.Setup(ctx, userID, "", store.MethodTOTP)
//	// show e.QRCode (a data: URL of a PNG) or e.Secret to the user
//	codes, err := tf.Enable(ctx, userID, "", "123456")
//
// Both need a recent authentication of the actor in ctx (Config.RecentAuth,
// which usermgmt.New fills with the auth service): a sign-in or step-up
// within the privileged window, or the current password in place of "".
//
// # Secrets at rest
//
// TOTP secrets are sealed with AES-256-GCM under Config.Key, with a random
// nonce and the user's id as additional data, so a sealed secret neither
// opens without the key nor works when copied to another user. Backup codes
// and sent codes are stored only as HMAC-SHA256 under the same key: they
// are short, and a plain hash in a database dump could be brute-forced.
// Without a key from the host a random one is kept in the store, which a
// database dump then yields too; see Config.Key.
//
// # Guessing
//
// A TOTP code is accepted in its step or one step either side, and each
// step once per user. A sent code lives 10 minutes and allows 5 tries.
// Every code checked for a login, a step-up or disabling counts towards
// one lock of the user's second factor, which login checks too: by default
// 5 wrong codes within 15 minutes lock it, and logins with it, for 15
// minutes.
package twofa
