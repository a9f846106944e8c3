package users

import (
	"context"
	"errors"
	"strings"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

// ProfileChange is a change to the editable fields of a profile. A nil
// field is not sent; a pointer to "" clears the field. Email cannot be
// cleared: a new address becomes the pending email until the link mailed
// to it is used.
type ProfileChange struct {
	Username    *string
	FirstName   *string
	LastName    *string
	DisplayName *string
	PhoneNumber *string
	Bio         *string
	Location    *string
	Website     *string
	// Visibility is "public" or "private"; "" clears it to public.
	Visibility *string
	Email      *string
	// Password is the current password, which lets an email change pass
	// without a recent sign-in (see auth.Service.RequireRecentAuth). It
	// is not a field of the profile and is otherwise ignored.
	Password string
}

// ActionUpdate is the audit action of a profile or preferences change.
// Its metadata "fields" lists the changed field names, never values.
const ActionUpdate = "user.update"

// UpdateProfile changes the fields ch carries (as PATCH /users/profile)
// and returns the profile as written. Only the user themselves or
// store.SystemActor may (ErrPermissionDenied otherwise). Invalid fields
// are a Validation naming each; a reserved username is
// ErrUsernameReserved and a taken one ErrUsernameTaken. A new email needs
// a recent authentication or ch.Password (ErrReauthenticationRequired,
// ErrInvalidPassword), is ErrEmailTaken when another account has it, and
// becomes PendingEmail: a link valid for the verification TTL is mailed
// to it and a notice to the old address. The change is one locked update
// with its audit row (ActionUpdate).
func (s *Service) UpdateProfile(ctx context.Context, userID string, ch ProfileChange) (*Profile, error) {
	return s.changeProfile(ctx, userID, ch)
}

// ReplaceProfile replaces the editable fields (as PUT /users/profile):
// those ch leaves nil are cleared, except Username and Email, which then
// stay, and Visibility, which goes back to public. Otherwise it works as
// UpdateProfile.
func (s *Service) ReplaceProfile(ctx context.Context, userID string, ch ProfileChange) (*Profile, error) {
	for _, f := range []**string{&ch.FirstName, &ch.LastName, &ch.DisplayName, &ch.PhoneNumber,
		&ch.Bio, &ch.Location, &ch.Website, &ch.Visibility} {
		if *f == nil {
			*f = new(string)
		}
	}
	return s.changeProfile(ctx, userID, ch)
}

// validate normalises the fields ch carries, in place, and reports every
// invalid one.
func (ch *ProfileChange) validate() error {
	var c checks
	if ch.Username != nil && *ch.Username != "" {
		u, ok := auth.NormalizeUsername(*ch.Username)
		if !ok {
			c.add("username", "must be 3 to 32 characters of a-z, 0-9, '_', '.' and '-'")
		}
		*ch.Username = u
	}
	if ch.Email != nil {
		e, ok := auth.NormalizeEmail(*ch.Email)
		switch {
		case strings.TrimSpace(*ch.Email) == "":
			c.add("email", "is required: the email cannot be cleared")
		case !ok:
			c.add("email", "must be a valid email address")
		}
		*ch.Email = e
	}
	c.text("firstName", ch.FirstName, 1, maxName, false)
	c.text("lastName", ch.LastName, 1, maxName, false)
	c.text("displayName", ch.DisplayName, 0, maxDisplayName, false)
	c.text("bio", ch.Bio, 0, maxBio, true)
	c.text("location", ch.Location, 0, maxLocation, false)
	c.website(ch.Website)
	c.phone(ch.PhoneNumber)
	c.visibility(ch.Visibility)
	if err := c.err(); err != nil {
		return err
	}
	if ch.Username != nil && auth.ReservedUsername(*ch.Username) {
		return store.ErrUsernameReserved
	}
	return nil
}

func (s *Service) changeProfile(ctx context.Context, userID string, ch ProfileChange) (*Profile, error) {
	if err := s.authorize(ctx, userID, ActionUpdate); err != nil {
		return nil, err
	}
	if err := ch.validate(); err != nil {
		return nil, err
	}
	cur, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	// An email change is sensitive: a stolen access token must not move
	// the account to an attacker's address.
	newEmail := ""
	if ch.Email != nil && *ch.Email != cur.Email {
		newEmail = *ch.Email
		if s.auth == nil {
			return nil, store.ErrInternal.WithMessage("email changes are not configured")
		}
		if err := s.auth.RequireRecentAuth(ctx, ch.Password); err != nil {
			return nil, err
		}
		if other, err := s.st.Users().ByEmail(ctx, newEmail); err == nil && other.ID != userID {
			return nil, store.ErrEmailTaken
		} else if err != nil && !errors.Is(err, store.ErrUserNotFound) {
			return nil, err
		}
	}
	// So is the number SMS codes go to: with a stolen token, changing it
	// would send the second factor to the attacker.
	smsNumberChange := ch.PhoneNumber != nil && *ch.PhoneNumber != cur.PhoneNumber &&
		cur.TwoFactorEnabled && cur.TwoFactorMethod == string(store.MethodSMS)
	if smsNumberChange && newEmail == "" {
		if s.auth == nil {
			return nil, store.ErrInternal.WithMessage("recent authentication is not configured")
		}
		if err := s.auth.RequireRecentAuth(ctx, ch.Password); err != nil {
			return nil, err
		}
	}
	now := s.now()
	var (
		u       *store.User
		changed []string
	)
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		var cancel bool
		changed = nil
		u, err = tx.Users().Update(ctx, userID, func(u *store.User) error {
			changed, cancel = applyProfile(u, ch, newEmail)
			if len(changed) > 0 {
				u.UpdatedAt = now
			}
			return nil
		})
		if err != nil {
			return err
		}
		if newEmail != "" {
			if err = s.auth.StartEmailChange(ctx, tx, u, newEmail); err != nil {
				return err
			}
		}
		if cancel {
			if err := s.auth.CancelEmailChange(ctx, tx, userID); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return s.recordChange(ctx, tx, ActionUpdate, userID, "", changed)
	})
	if err != nil {
		return nil, err
	}
	return s.withRoles(ctx, u)
}

// applyProfile makes the change on the locked row u and returns the names
// of the fields it changed, and whether a pending email change is
// withdrawn (the current address was sent again).
func applyProfile(u *store.User, ch ProfileChange, newEmail string) (changed []string, cancel bool) {
	set := func(name string, dst *string, v *string) {
		if v != nil && *dst != *v {
			*dst = *v
			changed = append(changed, name)
		}
	}
	if ch.Username != nil && !strings.EqualFold(u.Username, *ch.Username) {
		u.Username = *ch.Username
		changed = append(changed, "username")
	}
	set("firstName", &u.FirstName, ch.FirstName)
	set("lastName", &u.LastName, ch.LastName)
	set("displayName", &u.DisplayName, ch.DisplayName)
	set("phoneNumber", &u.PhoneNumber, ch.PhoneNumber)
	set("bio", &u.Bio, ch.Bio)
	set("location", &u.Location, ch.Location)
	set("website", &u.Website, ch.Website)
	if ch.Visibility != nil {
		v := store.Visibility(*ch.Visibility)
		if v == "" {
			v = store.VisibilityPublic
		}
		if u.Visibility != v {
			u.Visibility = v
			changed = append(changed, "visibility")
		}
	}
	switch {
	case newEmail != "":
		// Asking again for the same address sends a fresh link.
		u.PendingEmail = newEmail
		changed = append(changed, "pendingEmail")
	case ch.Email != nil && u.PendingEmail != "":
		// The current address sent again withdraws the pending change.
		u.PendingEmail = ""
		changed, cancel = append(changed, "pendingEmail"), true
	}
	return changed, cancel
}

// withRoles returns u as a profile with its roles.
func (s *Service) withRoles(ctx context.Context, u *store.User) (*Profile, error) {
	roles, err := s.st.Roles().RolesOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p := &Profile{User: u, Roles: make([]string, len(roles))}
	for i, r := range roles {
		p.Roles[i] = r.Name
	}
	return p, nil
}
