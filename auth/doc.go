// Package auth holds the authentication rules: password hashing and
// policy, registration, login with lockout, email verification and password
// reset, access tokens and refresh-token rotation.
//
// Passwords are hashed by a Hasher whose encoded output records its
// algorithm and parameters. Bcrypt (cost 12 over a keyed SHA-256 pre-hash,
// so no password is silently truncated at 72 bytes) is the default;
// Argon2id is the alternative:
//
//	p := auth.Passwords{Preferred: auth.Argon2id{}}
//	enc, _ := p.Hash("correct horse battery staple")
//	ok, _ := p.Verify(enc, "correct horse battery staple") // true
package auth
