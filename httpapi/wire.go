package httpapi

import (
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// Wire shapes. Entities never reach encoding/json directly: only these
// types do, so a field such as the password hash cannot leak by accident.
// Fields without a value are null, never left out.

type userJSON struct {
	ID               string     `json:"id"`
	Email            string     `json:"email"`
	PendingEmail     *string    `json:"pendingEmail"`
	EmailVerified    bool       `json:"emailVerified"`
	Username         *string    `json:"username"`
	FirstName        *string    `json:"firstName"`
	LastName         *string    `json:"lastName"`
	DisplayName      *string    `json:"displayName"`
	PhoneNumber      *string    `json:"phoneNumber"`
	Bio              *string    `json:"bio"`
	Location         *string    `json:"location"`
	Website          *string    `json:"website"`
	AvatarURL        *string    `json:"avatarUrl"`
	Visibility       string     `json:"visibility"`
	Status           string     `json:"status"`
	Roles            []string   `json:"roles"`
	TwoFactorEnabled bool       `json:"twoFactorEnabled"`
	CreatedAt        time.Time  `json:"createdAt"`
	UpdatedAt        time.Time  `json:"updatedAt"`
	LastLoginAt      *time.Time `json:"lastLoginAt"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

func utcTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func toUserJSON(u *store.User, roles []string) userJSON {
	if roles == nil {
		roles = []string{}
	}
	return userJSON{
		ID: u.ID, Email: u.Email, PendingEmail: nullable(u.PendingEmail), EmailVerified: u.EmailVerified,
		Username: nullable(u.Username), FirstName: nullable(u.FirstName), LastName: nullable(u.LastName),
		DisplayName: nullable(u.DisplayName), PhoneNumber: nullable(u.PhoneNumber), Bio: nullable(u.Bio),
		Location: nullable(u.Location), Website: nullable(u.Website), AvatarURL: nullable(u.AvatarURL),
		Visibility: string(u.Visibility), Status: string(u.Status), Roles: roles,
		TwoFactorEnabled: u.TwoFactorEnabled, CreatedAt: utcTime(u.CreatedAt), UpdatedAt: utcTime(u.UpdatedAt),
		LastLoginAt: utcPtr(u.LastLoginAt),
	}
}

// refreshedJSON is the answer of a refresh; a login adds the user.
type refreshedJSON struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
}

type tokensJSON struct {
	refreshedJSON
	User userJSON `json:"user"`
}

type mfaChallengeJSON struct {
	MFARequired bool     `json:"mfaRequired"`
	MFAToken    string   `json:"mfaToken"`
	Methods     []string `json:"methods"`
}
