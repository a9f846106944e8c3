package users

import (
	"context"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/usermgmt/usermgmt/store"
)

// Themes a preference may name.
const (
	ThemeLight  = "light"
	ThemeDark   = "dark"
	ThemeSystem = "system"
)

// maxLanguageTag bounds a BCP 47 tag before it is parsed.
const maxLanguageTag = 35

// PreferencesChange replaces a user's preferences. A nil field takes its
// default (store.DefaultPreferences): language "en", timezone "UTC",
// theme "system", every notification choice on.
type PreferencesChange struct {
	// Language is a BCP 47 tag, stored in its canonical form ("en-us"
	// becomes "en-US").
	Language *string
	// Timezone is an IANA zone name such as "Europe/Berlin".
	Timezone *string
	// Theme is ThemeLight, ThemeDark or ThemeSystem.
	Theme *string
	// Notification choices: email, in-app, and security alerts.
	NotifyEmail    *bool
	NotifyInApp    *bool
	NotifySecurity *bool
}

// ActionPreferences is the audit action of a preferences change. Its
// metadata "fields" lists the changed preferences.
const ActionPreferences = "user.preferences_update"

// Preferences returns the user's preferences. Only the user themselves or
// store.SystemActor may read them (ErrPermissionDenied otherwise); an
// unknown user is ErrUserNotFound.
func (s *Service) Preferences(ctx context.Context, userID string) (store.Preferences, error) {
	if err := s.authorize(ctx, userID, "user.preferences_read"); err != nil {
		return store.Preferences{}, err
	}
	u, err := s.st.Users().ByID(ctx, userID)
	if err != nil {
		return store.Preferences{}, err
	}
	return u.Preferences, nil
}

// SetPreferences replaces the user's preferences with ch, missing fields
// taking their defaults, and returns them as stored. Invalid fields are a
// Validation naming each ("language", "timezone", "theme"). The write is
// one locked update with its audit row (ActionPreferences).
func (s *Service) SetPreferences(ctx context.Context, userID string, ch PreferencesChange) (store.Preferences, error) {
	if err := s.authorize(ctx, userID, ActionPreferences); err != nil {
		return store.Preferences{}, err
	}
	p, err := ch.resolve()
	if err != nil {
		return store.Preferences{}, err
	}
	now := s.now()
	var u *store.User
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		var changed []string
		u, err = tx.Users().Update(ctx, userID, func(u *store.User) error {
			changed = preferenceChanges(u.Preferences, p)
			if len(changed) > 0 {
				u.Preferences, u.UpdatedAt = p, now
			}
			return nil
		})
		if err != nil || len(changed) == 0 {
			return err
		}
		return s.recordChange(ctx, tx, ActionPreferences, userID, "preferences.", changed)
	})
	if err != nil {
		return store.Preferences{}, err
	}
	return u.Preferences, nil
}

// resolve validates ch and fills in the defaults.
func (ch PreferencesChange) resolve() (store.Preferences, error) {
	p := store.DefaultPreferences()
	var c checks
	if ch.Language != nil {
		tag, err := language.Parse(*ch.Language)
		if len(*ch.Language) > maxLanguageTag || err != nil || tag == language.Und {
			c.add("language", "must be a BCP 47 language tag, such as en or pt-BR")
		} else {
			p.Language = tag.String()
		}
	}
	if ch.Timezone != nil {
		tz := *ch.Timezone
		loc, err := time.LoadLocation(tz)
		if tz == "" || tz == "Local" || err != nil || strings.ContainsAny(tz, "\\\x00") {
			c.add("timezone", "must be an IANA time zone, such as Europe/Berlin or UTC")
		} else {
			p.Timezone = loc.String()
		}
	}
	if ch.Theme != nil {
		switch *ch.Theme {
		case ThemeLight, ThemeDark, ThemeSystem:
			p.Theme = *ch.Theme
		default:
			c.add("theme", "must be light, dark or system")
		}
	}
	for _, b := range []struct {
		v   *bool
		dst *bool
	}{{ch.NotifyEmail, &p.NotifyEmail}, {ch.NotifyInApp, &p.NotifyInApp}, {ch.NotifySecurity, &p.NotifySecurity}} {
		if b.v != nil {
			*b.dst = *b.v
		}
	}
	return p, c.err()
}

// preferenceChanges names the preferences that differ between a and b.
func preferenceChanges(a, b store.Preferences) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("language", a.Language != b.Language)
	add("timezone", a.Timezone != b.Timezone)
	add("theme", a.Theme != b.Theme)
	add("notifications.email", a.NotifyEmail != b.NotifyEmail)
	add("notifications.inApp", a.NotifyInApp != b.NotifyInApp)
	add("notifications.securityAlerts", a.NotifySecurity != b.NotifySecurity)
	return out
}
