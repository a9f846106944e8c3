package twofa

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"errors"

	"github.com/usermgmt/usermgmt/store"
)

// Checking codes: TOTP, sent codes and backup codes. Each check spends
// the code it accepts.

// checkMethodCode checks and spends a code of the enrolment's method.
func (s *Service) checkMethodCode(ctx context.Context, userID string, tf *store.TwoFactor, code string) error {
	switch tf.Method {
	case store.MethodTOTP:
		return s.checkTOTP(ctx, userID, tf, code)
	case store.MethodEmail, store.MethodSMS:
		return s.checkSentCode(ctx, userID, tf.Method, code)
	}
	return store.ErrInvalidCode
}

// checkAnyCode checks a code of the method, or else a backup code: the
// two do not look alike.
func (s *Service) checkAnyCode(ctx context.Context, userID string, tf *store.TwoFactor, code string) error {
	if _, ok := normalizeNumericCode(code); ok {
		return s.checkMethodCode(ctx, userID, tf, code)
	}
	return s.useBackupCode(ctx, userID, code)
}

// checkTOTP accepts the code of the current time step or of one step
// either side, and each step once: the store advances the user's last
// step atomically, so a code replayed (or raced) in its window is refused.
func (s *Service) checkTOTP(ctx context.Context, userID string, tf *store.TwoFactor, code string) error {
	code, ok := normalizeNumericCode(code)
	if !ok {
		return store.ErrInvalidCode
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return err
	}
	secret, used, err := open(keys, userID, tf.Secret)
	if err != nil {
		return store.ErrInternal.Wrap(err)
	}
	step, err := s.matchingStep(secret, tf.LastStep, code)
	if err != nil {
		return err
	}
	if step < 0 {
		return store.ErrInvalidCode
	}
	ok, err = s.st.TwoFactor().AdvanceStep(ctx, userID, step)
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrInvalidCode
	}
	if used > 0 {
		s.reseal(ctx, userID, tf.Secret, secret, step)
	}
	return nil
}

// matchingStep returns the step, after last and within the drift allowed
// around now, whose code is code; or -1.
func (s *Service) matchingStep(secret []byte, last int64, code string) (int64, error) {
	cur := totpStep(s.now().Unix())
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if step <= last || step < 0 {
			continue
		}
		want, err := totpCode(secret, step, codeDigits)
		if err != nil {
			return -1, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, nil
		}
	}
	return -1, nil
}

// reseal seals a secret that an older key opened with the current key, so
// the older key can be retired. A failure is logged: the old key still
// opens it.
func (s *Service) reseal(ctx context.Context, userID string, old, secret []byte, step int64) {
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return
	}
	sealed, err := seal(keys[0], s.cfg.Random, userID, secret)
	if err == nil {
		err = s.st.InTx(ctx, func(tx store.Repos) error {
			t, err := tx.TwoFactor().Get(ctx, userID)
			if err != nil || !bytes.Equal(t.Secret, old) {
				return err
			}
			t.Secret, t.LastStep, t.UpdatedAt = sealed, max(t.LastStep, step), s.now()
			return tx.TwoFactor().Put(ctx, t)
		})
	}
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "twofa: reseal totp secret failed", "user_id", userID, "err", err)
	}
}

// checkSentCode checks the newest code sent to the user by method. A wrong
// guess counts against the code, which dies after 5.
func (s *Service) checkSentCode(ctx context.Context, userID string, method store.TwoFactorMethod, code string) error {
	t, err := s.st.OneTimeTokens().Latest(ctx, userID, store.PurposeMFACode)
	if errors.Is(err, store.ErrInvalidToken) {
		return store.ErrInvalidCode
	}
	if err != nil {
		return err
	}
	now := s.now()
	if t.Data != string(method) || !now.Before(t.ExpiresAt) {
		return store.ErrInvalidCode
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return err
	}
	if !sentCodeMatches(keys, userID, code, t.Hash) {
		if _, err := s.st.OneTimeTokens().AddAttempt(ctx, t.ID, codeAttempts, now); err != nil && !errors.Is(err, store.ErrInvalidToken) {
			return err
		}
		return store.ErrInvalidCode
	}
	if err := s.st.OneTimeTokens().Use(ctx, t.ID, now); err != nil {
		if errors.Is(err, store.ErrInvalidToken) {
			return store.ErrInvalidCode
		}
		return err
	}
	return nil
}

// sentCodeMatches reports whether code is the one whose keyed hash, under
// any of the keys, is hash.
func sentCodeMatches(keys [][]byte, userID, code string, hash []byte) bool {
	code, ok := normalizeNumericCode(code)
	if !ok {
		return false
	}
	match := false
	for _, key := range keys {
		if hmac.Equal(keyedHash(key, "mfa-code", userID, code), hash) {
			match = true
		}
	}
	return match
}

// useBackupCode spends the user's unused backup code equal to code.
func (s *Service) useBackupCode(ctx context.Context, userID, code string) error {
	code, ok := normalizeBackupCode(code)
	if !ok {
		return store.ErrInvalidCode
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, key := range keys {
		err := s.st.TwoFactor().UseBackupCode(ctx, userID, keyedHash(key, "backup-code", userID, code), now)
		if !errors.Is(err, store.ErrInvalidCode) {
			return err
		}
	}
	return store.ErrInvalidCode
}
