package auth

import (
	"context"
	"errors"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/store"
)

// Registration is a sign-up request.
type Registration struct {
	Email     string
	Password  string
	Username  string
	FirstName string
	LastName  string
}

// Register creates an account with the built-in user role and mails a
// verification link. Duplicates fail with ErrEmailTaken or
// ErrUsernameTaken, decided by the database so parallel sign-ups cannot
// both win.
func (s *Service) Register(ctx context.Context, in Registration) (*store.User, error) {
	u, err := s.newUser(in, false)
	if err != nil {
		return nil, err
	}
	hash, err := s.cfg.Passwords.Hash(in.Password)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = hash
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if err := s.createUser(ctx, tx, u, signUpRoles...); err != nil {
			return err
		}
		// The job makes the link when it mails it.
		if err := s.enqueue(ctx, tx, JobVerifyMail, u.ID, nil); err != nil {
			return err
		}
		if err := s.events.Emit(ctx, tx, u.ID, events.UserCreated{Method: "register"}); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "auth.register", TargetID: u.ID, ActorID: u.ID})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// newUser validates a registration and returns the user to create. An
// invited user has no password yet.
func (s *Service) newUser(in Registration, invited bool) (*store.User, error) {
	var fc fieldCheck
	email, ok := NormalizeEmail(in.Email)
	if !ok {
		fc.add("email", "must be a valid email address")
	}
	username := ""
	if in.Username != "" {
		if username, ok = NormalizeUsername(in.Username); !ok {
			fc.add("username", "must be 3 to 32 characters of a-z, 0-9, '_', '.' and '-'")
		}
	}
	if in.Password == "" && !invited {
		fc.add("password", "is required")
	}
	fc.name("firstName", in.FirstName)
	fc.name("lastName", in.LastName)
	if err := fc.err(); err != nil {
		return nil, err
	}
	if ReservedUsername(username) {
		return nil, store.ErrUsernameReserved
	}
	now := s.now()
	u := &store.User{
		Email: email, Username: username, FirstName: in.FirstName, LastName: in.LastName,
		Status: store.StatusActive, Visibility: store.VisibilityPublic,
		Preferences: store.DefaultPreferences(), PasswordChangedAt: &now,
		CreatedAt: now, UpdatedAt: now,
	}
	if invited {
		u.PasswordChangedAt = nil
		return u, nil
	}
	if err := s.cfg.Policy.Check(in.Password, email, username); err != nil {
		return nil, err
	}
	return u, nil
}

// createUser inserts u with its roles and its first password-history
// entry.
func (s *Service) createUser(ctx context.Context, tx store.Repos, u *store.User, roleNames ...string) error {
	if err := tx.Users().Create(ctx, u); err != nil {
		return err
	}
	for _, name := range roleNames {
		role, err := tx.Roles().ByName(ctx, name)
		if err != nil {
			return err
		}
		if err := tx.Roles().Assign(ctx, u.ID, role.ID, u.CreatedAt); err != nil {
			return err
		}
	}
	if u.PasswordHash == "" {
		return nil
	}
	return tx.Users().AddPasswordHistory(ctx, store.PasswordHistoryEntry{UserID: u.ID, Hash: u.PasswordHash, CreatedAt: u.CreatedAt})
}

// issueOneTime spends the user's older tokens of the purpose and stores a
// new one, returning the secret to mail.
func (s *Service) issueOneTime(ctx context.Context, tx store.Repos, userID string, p store.TokenPurpose, ttl time.Duration, data string) (string, error) {
	now := s.now()
	if _, err := tx.OneTimeTokens().SpendAll(ctx, userID, p, now); err != nil {
		return "", err
	}
	secret, err := newSecret(s.cfg.Random)
	if err != nil {
		return "", err
	}
	t := &store.OneTimeToken{UserID: userID, Purpose: p, Hash: hashSecret(secret), Data: data,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := tx.OneTimeTokens().Create(ctx, t); err != nil {
		return "", err
	}
	return secret, nil
}

// EmailAvailable reports whether no account uses the address. An invalid
// address is a validation error.
func (s *Service) EmailAvailable(ctx context.Context, raw string) (bool, error) {
	email, ok := NormalizeEmail(raw)
	if !ok {
		return false, store.Validation(store.FieldError{Field: "email", Message: "must be a valid email address"})
	}
	_, err := s.st.Users().ByEmail(ctx, email)
	return available(err)
}

// UsernameAvailable reports whether a username can be taken: well-formed,
// not reserved and unused.
func (s *Service) UsernameAvailable(ctx context.Context, raw string) (bool, error) {
	username, ok := NormalizeUsername(raw)
	if !ok {
		return false, store.Validation(store.FieldError{Field: "username", Message: "must be 3 to 32 characters of a-z, 0-9, '_', '.' and '-'"})
	}
	if ReservedUsername(username) {
		return false, nil
	}
	_, err := s.st.Users().ByUsername(ctx, username)
	return available(err)
}

func available(lookupErr error) (bool, error) {
	switch {
	case lookupErr == nil:
		return false, nil
	case errors.Is(lookupErr, store.ErrUserNotFound):
		return true, nil
	}
	return false, lookupErr
}
