package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/store"
)

// Credentials are a login attempt.
type Credentials struct {
	// Identifier is an email address or a username.
	Identifier string
	Password   string
	// DeviceName names the session; when empty it is derived from the user
	// agent.
	DeviceName string
	// Fingerprint, when set, binds the session's tokens to the
	// X-Device-Fingerprint header that carried it.
	Fingerprint string
}

// TokenPair is what a successful login or refresh answers.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	// ExpiresAt is when the access token expires, and ExpiresIn its
	// lifetime from issue: the TTL (or less for a token asked to end
	// earlier), exactly, while the time left from ExpiresAt would lose
	// the fraction of a second cut from the whole-second iat.
	ExpiresAt time.Time
	ExpiresIn time.Duration
	SessionID string
	// User is the account signed in (nil after a refresh, which reads no
	// user row), and Roles its role names.
	User  *store.User
	Roles []string
}

// LoginResult is a login's outcome: tokens, or (with two-factor
// authentication on) a challenge to complete with a code.
type LoginResult struct {
	User   *store.User
	Tokens *TokenPair
	MFA    *MFAChallenge
}

// MFAChallenge asks for a second factor before tokens are issued.
type MFAChallenge struct {
	Token   string
	Methods []string
}

// Login checks credentials and opens a session. For an account with
// two-factor authentication on it answers a challenge instead, which
// CompleteMFA finishes.
//
// Failures are counted per identifier (the account's email when the
// account exists, the identifier as typed otherwise) whether or not an
// account exists, so a lock says nothing about existence. An unknown
// identifier costs a hash comparison like a known one. Deactivated,
// suspended and deleted accounts get their own error only after a correct
// password.
func (s *Service) Login(ctx context.Context, in Credentials) (*LoginResult, error) {
	ident := normalizeIdentifier(in.Identifier)
	if ident == "" || in.Password == "" || len(ident) > maxEmailLength {
		var fc fieldCheck
		switch {
		case ident == "":
			fc.add("identifier", "is required")
		case len(ident) > maxEmailLength:
			// No account has a longer name; refusing it here keeps garbage
			// out of the lock-out table.
			fc.add("identifier", "must be at most 254 characters")
		}
		if in.Password == "" {
			fc.add("password", "is required")
		}
		return nil, fc.err()
	}
	u, err := s.lookup(ctx, ident)
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		return nil, err
	}
	key, target := ident, ""
	if u != nil {
		key, target = u.Email, u.ID
	}
	now := s.now()
	locked, err := s.countAttempt(ctx, key, now)
	if err != nil {
		return nil, err
	}
	if locked != nil {
		s.auditLogin(ctx, target, store.OutcomeDenied, "locked")
		return nil, lockedError(*locked, now)
	}
	if !s.checkPassword(u, in.Password) {
		s.auditLogin(ctx, target, store.OutcomeFailure, "bad_credentials")
		return nil, store.ErrInvalidCredentials
	}
	if err := s.st.Lockout().Reset(ctx, key); err != nil {
		return nil, err
	}
	if err := s.loginAllowed(u, now); err != nil {
		s.auditLogin(ctx, target, store.OutcomeDenied, strings.ToLower(store.AsError(err).Code))
		return nil, audit.MarkRecorded(err)
	}
	if u.TwoFactorEnabled {
		return s.challenge(ctx, u, in)
	}
	pair, err := s.openSession(ctx, u, in, "auth.login")
	if err != nil {
		return nil, err
	}
	return &LoginResult{User: u, Tokens: pair}, nil
}

// lookup finds the account for a normalised identifier: by email when it
// has an '@', by username otherwise.
func (s *Service) lookup(ctx context.Context, ident string) (*store.User, error) {
	if strings.Contains(ident, "@") {
		return s.st.Users().ByEmail(ctx, ident)
	}
	return s.st.Users().ByUsername(ctx, ident)
}

// checkPassword checks u's password with Passwords.Check (constant work
// for unknown users and users without a password), logging a hash no
// Hasher reads.
func (s *Service) checkPassword(u *store.User, password string) bool {
	ok, err := s.cfg.Passwords.Check(u, password)
	if err != nil {
		s.cfg.Logger.Error("password verify failed", "user_id", u.ID, "err", err)
	}
	return ok
}

// loginAllowed refuses accounts whose status forbids signing in.
func (s *Service) loginAllowed(u *store.User, now time.Time) error {
	switch u.Status {
	case store.StatusDeleted:
		e := store.ErrAccountDeleted
		if u.PurgeAfter != nil {
			// As every timestamp of the API: RFC 3339, UTC, milliseconds.
			e = e.With("purgeAfter", u.PurgeAfter.UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano))
		}
		return e
	case store.StatusDeactivated:
		return store.ErrAccountDeactivated
	case store.StatusSuspended:
		if u.SuspendedUntil == nil || now.Before(*u.SuspendedUntil) {
			return store.ErrAccountSuspended
		}
	case store.StatusLocked:
		return store.ErrAccountLocked.WithMessage("account is locked by an administrator")
	}
	if s.cfg.RequireVerifiedEmail && !u.EmailVerified {
		return store.ErrEmailNotVerified
	}
	return nil
}

// countAttempt counts a password attempt against key before the password
// is checked, and returns the end of the lock the attempt meets, if any.
// Counting first, in one atomic step, is what keeps parallel attempts from
// all passing the lock check and so getting more guesses than the
// threshold; an attempt whose count went past the threshold meets the lock
// a parallel one set. A right password takes the count back (Reset).
func (s *Service) countAttempt(ctx context.Context, key string, now time.Time) (*time.Time, error) {
	before, err := s.st.Lockout().Failures(ctx, key)
	if err != nil {
		return nil, err
	}
	failures, err := s.st.Lockout().RecordFailure(ctx, key, now, s.cfg.Lockout)
	if err != nil {
		return nil, err
	}
	locked := activeLock(before, now)
	if locked == nil && failures.Count > s.cfg.Lockout.Threshold {
		locked = activeLock(failures, now)
	}
	return locked, nil
}

// activeLock returns the end of the record's lock, or nil when it is not
// locked at now.
func activeLock(f store.LoginFailures, now time.Time) *time.Time {
	if f.LockedUntil != nil && now.Before(*f.LockedUntil) {
		return f.LockedUntil
	}
	return nil
}

func lockedError(until, now time.Time) *store.Error {
	secs := int(until.Sub(now).Seconds()) + 1
	return store.ErrAccountLocked.With("retryAfter", secs).With("lockedUntil", until.UTC().Format(time.RFC3339))
}

func (s *Service) auditLogin(ctx context.Context, target string, outcome store.Outcome, reason string) {
	e := audit.Entry{Action: "auth.login", TargetID: target, ActorID: target, Outcome: outcome,
		Metadata: map[string]string{"reason": reason}}
	// The event is written for unknown identifiers too (about no user),
	// so that both refusals cost the same writes.
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		if err := s.events.Emit(ctx, tx, target, events.LoginFailed{Reason: reason}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, e)
	})
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "audit login failed", "err", err)
	}
}

// openSession creates a session and its first refresh token for u, in one
// transaction with the audit row, and signs the access token.
func (s *Service) openSession(ctx context.Context, u *store.User, in Credentials, action string) (*TokenPair, error) {
	now := s.now()
	req := store.RequestFromContext(ctx)
	sess := &store.Session{
		UserID: u.ID, DeviceName: deviceName(in.DeviceName, req.UserAgent), IP: req.IP,
		UserAgent: req.UserAgent, FingerprintHash: hashFingerprint(in.Fingerprint),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionLifetime),
	}
	secret, err := newSecret(s.cfg.Random)
	if err != nil {
		return nil, err
	}
	var refresh string
	// Re-hash while the password is at hand, outside the transaction: a
	// slow hash must not hold the write lock.
	rehashed := ""
	if in.Password != "" && s.cfg.Passwords.NeedsRehash(u.PasswordHash) {
		if rehashed, err = s.cfg.Passwords.Hash(in.Password); err != nil {
			return nil, err
		}
	}
	var roles []string
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := tx.Sessions().Create(ctx, sess); err != nil {
			return err
		}
		refresh = refreshToken(sess.ID, secret)
		if err := s.createRefresh(ctx, tx, sess.ID, u.ID, sess.ExpiresAt, refresh, now); err != nil {
			return err
		}
		if err := tx.Users().SetLastLogin(ctx, u.ID, now); err != nil {
			return err
		}
		if rehashed != "" {
			// Only when the hash is still the one just checked: a
			// password reset meanwhile wins.
			if _, err := tx.Users().Update(ctx, u.ID, func(cur *store.User) error {
				if cur.PasswordHash == u.PasswordHash {
					cur.PasswordHash = rehashed
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if roles, err = roleNames(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, tx, u.ID, events.LoginSucceeded{SessionID: sess.ID}); err != nil {
			return err
		}
		if err := s.rememberDevice(ctx, tx, u, sess, in.Fingerprint); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: u.ID, ActorID: u.ID,
			Metadata: map[string]string{"session_id": sess.ID}})
	})
	if err != nil {
		return nil, err
	}
	u.LastLoginAt = &now
	pair, err := s.sign(ctx, u.ID, sess.ID, roles, refresh)
	if err != nil {
		return nil, err
	}
	pair.User = u
	return pair, nil
}

// createRefresh stores a refresh token of the session; it never outlives
// the session.
func (s *Service) createRefresh(ctx context.Context, tx store.Repos, sessionID, userID string, sessionEnd time.Time, secret string, now time.Time) error {
	return tx.RefreshTokens().Create(ctx, s.newRefresh(sessionID, userID, sessionEnd, secret, now))
}

func (s *Service) newRefresh(sessionID, userID string, sessionEnd time.Time, secret string, now time.Time) *store.RefreshToken {
	exp := now.Add(s.cfg.RefreshTTL)
	if exp.After(sessionEnd) {
		exp = sessionEnd
	}
	return &store.RefreshToken{SessionID: sessionID, UserID: userID, Hash: hashSecret(secret), CreatedAt: now, ExpiresAt: exp}
}

func (s *Service) sign(ctx context.Context, userID, sessionID string, roles []string, refresh string) (*TokenPair, error) {
	access, claims, err := s.tokens.Issue(ctx, Claims{UserID: userID, SessionID: sessionID, Roles: roles})
	if err != nil {
		return nil, err
	}
	return &TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresAt: claims.ExpiresAt,
		ExpiresIn: claims.ExpiresAt.Sub(claims.IssuedAt), SessionID: sessionID, Roles: roles}, nil
}

func roleNames(ctx context.Context, tx store.Repos, userID string) ([]string, error) {
	roles, err := tx.Roles().RolesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return names, nil
}

// VerifyCredentials checks an identifier and password exactly as Login
// does, without opening a session, for the anonymous account routes
// (reactivate, recover) that must answer as a failed login does. The
// attempt counts toward the identifier's login lock-out (an error matching
// ErrAccountLocked while it is locked), an unknown identifier costs a hash
// comparison like a known one, and a right password clears the count. It
// returns the account whatever its status, or ErrInvalidCredentials for an
// unknown identifier or a wrong password; a VALIDATION_FAILED error names
// a missing identifier or password. Refusals are audited under action
// (outcome failure, or denied for a lock) and marked as recorded.
func (s *Service) VerifyCredentials(ctx context.Context, identifier, password, action string) (*store.User, error) {
	ident := normalizeIdentifier(identifier)
	var fc fieldCheck
	switch {
	case ident == "":
		fc.add("identifier", "is required")
	case len(ident) > maxEmailLength:
		fc.add("identifier", "must be at most 254 characters")
	}
	if password == "" {
		fc.add("password", "is required")
	}
	if len(fc) > 0 {
		return nil, fc.err()
	}
	u, err := s.lookup(ctx, ident)
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		return nil, err
	}
	key, target := ident, ""
	if u != nil {
		key, target = u.Email, u.ID
	}
	refuse := func(outcome store.Outcome, reason string, err error) error {
		e := audit.Entry{Action: action, TargetID: target, ActorID: target, Outcome: outcome,
			Metadata: map[string]string{"reason": reason}}
		if aerr := s.audit.RecordNow(ctx, e); aerr != nil {
			s.cfg.Logger.ErrorContext(ctx, "audit credentials failed", "action", action, "err", aerr)
		}
		return audit.MarkRecorded(err)
	}
	now := s.now()
	locked, err := s.countAttempt(ctx, key, now)
	if err != nil {
		return nil, err
	}
	if locked != nil {
		return nil, refuse(store.OutcomeDenied, "locked", lockedError(*locked, now))
	}
	if !s.checkPassword(u, password) {
		return nil, refuse(store.OutcomeFailure, "bad_credentials", store.ErrInvalidCredentials)
	}
	if err := s.st.Lockout().Reset(ctx, key); err != nil {
		return nil, err
	}
	return u, nil
}
