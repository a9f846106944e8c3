package twofa

import (
	"context"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// The login challenge: what auth.SecondFactor asks of the Service.

// Methods implements auth.SecondFactor: the user's enabled method.
func (s *Service) Methods(_ context.Context, u *store.User) []string {
	if !u.TwoFactorEnabled || u.TwoFactorMethod == "" {
		return nil
	}
	return []string{u.TwoFactorMethod}
}

// Send implements auth.SecondFactor: it sends u a code by method, which
// must be u's enabled method and one that sends codes (email or sms), and
// returns where it went, masked. A new code replaces the one sent before.
func (s *Service) Send(ctx context.Context, u *store.User, method string) (string, error) {
	m := store.TwoFactorMethod(method)
	if !u.TwoFactorEnabled || u.TwoFactorMethod != method || (m != store.MethodEmail && m != store.MethodSMS) {
		return "", store.ErrMFANotEnabled.WithMessage("that method is not enabled for this account")
	}
	to, err := s.destination(u, m)
	if err != nil {
		return "", err
	}
	keys, err := s.keys.keys(ctx)
	if err != nil {
		return "", err
	}
	code, err := newNumericCode(s.cfg.Random)
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := s.storeCode(ctx, tx, keys[0], u.ID, m, code, now); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "2fa.send", TargetID: u.ID, ActorID: u.ID,
			Metadata: map[string]string{"method": method}})
	})
	if err != nil {
		return "", err
	}
	s.deliver(ctx, m, to, code)
	return mask(m, to), nil
}

// Check implements auth.SecondFactor.
func (s *Service) Check(ctx context.Context, u *store.User, code string) error {
	_, tf, err := s.enabled(ctx, u.ID)
	if err != nil {
		return err
	}
	return s.guard(ctx, u.ID, func() error { return s.checkMethodCode(ctx, u.ID, tf, code) })
}

// CheckBackup implements auth.SecondFactor.
func (s *Service) CheckBackup(ctx context.Context, u *store.User, code string) error {
	if _, _, err := s.enabled(ctx, u.ID); err != nil {
		return err
	}
	return s.guard(ctx, u.ID, func() error { return s.useBackupCode(ctx, u.ID, code) })
}
