package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/lockkey"
	"github.com/usermgmt/usermgmt/store"
)

// SecondFactor is what login needs from a two-factor service; package twofa
// implements it. Login asks for a second factor only when the account has
// two-factor authentication on and Config.SecondFactor is set.
type SecondFactor interface {
	// Methods lists the methods ("totp", "email", "sms") that complete a
	// login challenge of u.
	Methods(ctx context.Context, u *store.User) []string
	// Send sends u a login code by method ("email" or "sms") and returns
	// where it went, masked ("a***@example.com"). It returns an error
	// matching store.ErrMFANotEnabled when that is not u's method.
	Send(ctx context.Context, u *store.User, method string) (sentTo string, err error)
	// Check checks and spends a code of u's method. It returns an error
	// matching store.ErrInvalidCode when the code is wrong or was used
	// already, and store.ErrAccountLocked when too many wrong codes were
	// tried (the code is then not checked at all). Every wrong code counts
	// towards the lock of u's second factor, which a login checks before
	// it asks for a code.
	Check(ctx context.Context, u *store.User, code string) error
	// CheckBackup spends one of u's backup codes, with the errors of Check.
	CheckBackup(ctx context.Context, u *store.User, code string) error
}

// The login challenge's limits.
const (
	mfaTokenTTL      = 5 * time.Minute
	mfaTokenAttempts = 5
)

// mfaTokenData is what a login challenge remembers of the login that
// started it, so the session opened at the end is the same as without two
// factors.
type mfaTokenData struct {
	DeviceName string `json:"deviceName,omitempty"`
	// Fingerprint is the hash of the X-Device-Fingerprint header.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// challenge answers a correct password of an account with two-factor
// authentication on: a short-lived, single-use token bound to the user and
// this login, instead of tokens.
func (s *Service) challenge(ctx context.Context, u *store.User, in Credentials) (*LoginResult, error) {
	if s.cfg.SecondFactor == nil {
		// Fail closed: never sign in without the second factor the account
		// asked for.
		return nil, store.ErrInternal.Wrap(errors.New("auth: account has two-factor authentication on but no SecondFactor is configured"))
	}
	now := s.now()
	f, err := s.st.Lockout().Failures(ctx, lockkey.MFA(u.ID))
	if err != nil {
		return nil, err
	}
	if f.LockedUntil != nil && now.Before(*f.LockedUntil) {
		s.auditLogin(ctx, u.ID, store.OutcomeDenied, "mfa_locked")
		return nil, lockedError(*f.LockedUntil, now)
	}
	s.rehashPassword(ctx, u, in.Password)
	token, err := newSecret(s.cfg.Random)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(mfaTokenData{
		DeviceName: in.DeviceName, Fingerprint: hashFingerprint(in.Fingerprint),
	})
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		err := tx.OneTimeTokens().Create(ctx, &store.OneTimeToken{
			UserID: u.ID, Purpose: store.PurposeMFALogin, Hash: hashSecret(token), Data: string(data),
			CreatedAt: now, ExpiresAt: now.Add(mfaTokenTTL),
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "auth.login", TargetID: u.ID, ActorID: u.ID,
			Metadata: map[string]string{"mfa": "required"}})
	})
	if err != nil {
		return nil, err
	}
	return &LoginResult{User: u, MFA: &MFAChallenge{Token: token, Methods: s.cfg.SecondFactor.Methods(ctx, u)}}, nil
}

// rehashPassword replaces a hash made with other parameters while the
// password is at hand, as openSession does for logins without a challenge.
// A failure is logged: the old hash still works.
func (s *Service) rehashPassword(ctx context.Context, u *store.User, password string) {
	if password == "" || !s.cfg.Passwords.NeedsRehash(u.PasswordHash) {
		return
	}
	rehashed, err := s.cfg.Passwords.Hash(password)
	if err == nil {
		_, err = s.st.Users().Update(ctx, u.ID, func(cur *store.User) error {
			if cur.PasswordHash == u.PasswordHash {
				cur.PasswordHash = rehashed
			}
			return nil
		})
	}
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "password rehash failed", "user_id", u.ID, "err", err)
		return
	}
	u.PasswordHash = rehashed
}

// MFAAttempt finishes a login challenge: the token from the challenge and
// either a code of the user's method or a backup code.
type MFAAttempt struct {
	Token      string
	Code       string
	BackupCode string
	// Fingerprint is the X-Device-Fingerprint header of this request. When
	// the login sent one, this must be the same.
	Fingerprint string
}

// CompleteMFA finishes a login challenge with a second factor and opens the
// session.
//
// A bad, expired or spent token, or one presented without the fingerprint
// of its login, is ErrMFATokenInvalid. A wrong code is ErrInvalidCode; the
// token dies after 5 of them, and every wrong code also counts towards a
// lock of the account's second factor (ErrAccountLocked, which refuses
// logins too until it ends). A right code spends the token.
func (s *Service) CompleteMFA(ctx context.Context, in MFAAttempt) (*LoginResult, error) {
	var fc fieldCheck
	if in.Token == "" {
		fc.add("mfaToken", "is required")
	}
	if (in.Code == "") == (in.BackupCode == "") {
		fc.add("code", "give either code or backupCode")
	}
	if err := fc.err(); err != nil {
		return nil, err
	}
	t, u, data, err := s.mfaToken(ctx, in.Token)
	if err != nil {
		return nil, err
	}
	if !sameFingerprint(data.Fingerprint, in.Fingerprint) {
		return nil, store.ErrMFATokenInvalid
	}
	now := s.now()
	if err := s.loginAllowed(u, now); err != nil {
		s.auditLogin(ctx, u.ID, store.OutcomeDenied, strings.ToLower(store.AsError(err).Code))
		return nil, audit.MarkRecorded(err)
	}
	method := "code"
	if in.BackupCode != "" {
		method = "backup_code"
		err = s.cfg.SecondFactor.CheckBackup(ctx, u, in.BackupCode)
	} else {
		err = s.cfg.SecondFactor.Check(ctx, u, in.Code)
	}
	switch {
	case errors.Is(err, store.ErrInvalidCode):
		// The token may have died under a parallel guess; the answer is
		// the same.
		if _, aerr := s.st.OneTimeTokens().AddAttempt(ctx, t.ID, mfaTokenAttempts, now); aerr != nil && !errors.Is(aerr, store.ErrInvalidToken) {
			return nil, aerr
		}
		s.auditMFA(ctx, u.ID, store.OutcomeFailure, map[string]string{"reason": "invalid_code", "method": method})
		return nil, err
	case errors.Is(err, store.ErrAccountLocked):
		s.auditMFA(ctx, u.ID, store.OutcomeDenied, map[string]string{"reason": "locked", "method": method})
		return nil, err
	case err != nil:
		return nil, err
	}
	if err := s.st.OneTimeTokens().Use(ctx, t.ID, now); err != nil {
		return nil, store.ErrMFATokenInvalid.Wrap(err)
	}
	pair, err := s.openSession(ctx, u, Credentials{DeviceName: data.DeviceName, Fingerprint: in.Fingerprint}, "auth.login_2fa")
	if err != nil {
		return nil, err
	}
	return &LoginResult{User: u, Tokens: pair}, nil
}

// SendMFACode sends the code of a login challenge by email or SMS and
// returns where it went, masked. The method must be the account's: else
// ErrMFANotEnabled. A new code replaces the one sent before.
func (s *Service) SendMFACode(ctx context.Context, token, method string) (sentTo string, err error) {
	var fc fieldCheck
	if token == "" {
		fc.add("mfaToken", "is required")
	}
	if method != string(store.MethodEmail) && method != string(store.MethodSMS) {
		fc.add("method", "must be email or sms")
	}
	if err := fc.err(); err != nil {
		return "", err
	}
	_, u, _, err := s.mfaToken(ctx, token)
	if err != nil {
		return "", err
	}
	if err := s.loginAllowed(u, s.now()); err != nil {
		return "", err
	}
	return s.cfg.SecondFactor.Send(ctx, u, method)
}

// mfaToken finds the live login challenge of a token and its user.
func (s *Service) mfaToken(ctx context.Context, token string) (*store.OneTimeToken, *store.User, mfaTokenData, error) {
	var data mfaTokenData
	if token == "" || s.cfg.SecondFactor == nil {
		return nil, nil, data, store.ErrMFATokenInvalid
	}
	t, err := s.st.OneTimeTokens().ByHash(ctx, store.PurposeMFALogin, hashSecret(token))
	if errors.Is(err, store.ErrInvalidToken) {
		return nil, nil, data, store.ErrMFATokenInvalid
	}
	if err != nil {
		return nil, nil, data, err
	}
	if t.UsedAt != nil || !s.now().Before(t.ExpiresAt) {
		return nil, nil, data, store.ErrMFATokenInvalid
	}
	if err := json.Unmarshal([]byte(t.Data), &data); err != nil {
		return nil, nil, data, store.ErrMFATokenInvalid.Wrap(fmt.Errorf("mfa token data: %w", err))
	}
	u, err := s.st.Users().ByID(ctx, t.UserID)
	if errors.Is(err, store.ErrUserNotFound) {
		return nil, nil, data, store.ErrMFATokenInvalid.Wrap(err)
	}
	if err != nil {
		return nil, nil, data, err
	}
	if !u.TwoFactorEnabled {
		// Turned off since the challenge: sign in again.
		return nil, nil, data, store.ErrMFATokenInvalid
	}
	return t, u, data, nil
}

func (s *Service) auditMFA(ctx context.Context, userID string, outcome store.Outcome, meta map[string]string) {
	e := audit.Entry{Action: "2fa.verify", TargetID: userID, ActorID: userID, Outcome: outcome, Metadata: meta}
	if err := s.audit.RecordNow(ctx, e); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "audit 2fa failed", "err", err)
	}
}
