package auth

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/store"
)

// Limits on identity fields.
const (
	maxEmailLength = 254
	minUsername    = 3
	maxUsername    = 32
	maxNameLength  = 100
)

// reservedUsernames are route names and obvious impostors, refused in any
// letter case.
var reservedUsernames = map[string]bool{
	"profile": true, "preferences": true, "admin": true, "administrator": true,
	"root": true, "support": true, "system": true, "security": true, "help": true,
	"moderator": true, "staff": true, "official": true, "me": true, "null": true,
	"undefined": true, "api": true, "auth": true, "account": true, "settings": true,
}

// NormalizeEmail trims and lower-cases an address and checks that it is a
// plain address (no display name, no CR or LF, at most 254 bytes).
func NormalizeEmail(raw string) (string, bool) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if email == "" || len(email) > maxEmailLength || strings.ContainsAny(email, "\r\n\x00") {
		return "", false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "", false
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", false
	}
	return email, true
}

// NormalizeUsername lower-cases a username and checks its form: 3 to 32
// of a-z, 0-9, '_', '.' and '-'.
func NormalizeUsername(raw string) (string, bool) {
	u := strings.ToLower(strings.TrimSpace(raw))
	if len(u) < minUsername || len(u) > maxUsername {
		return "", false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "", false
		}
	}
	return u, true
}

// ReservedUsername reports whether a (normalised) username is reserved.
func ReservedUsername(u string) bool { return reservedUsernames[strings.ToLower(u)] }

// normalizeIdentifier is the lock-out and lookup form of a login name.
func normalizeIdentifier(raw string) string {
	return strings.ToLower(strings.TrimSpace(raw))
}

// fieldCheck collects validation problems.
type fieldCheck []store.FieldError

func (f *fieldCheck) add(field, msg string) {
	*f = append(*f, store.FieldError{Field: field, Message: msg})
}

func (f fieldCheck) err() error {
	if len(f) == 0 {
		return nil
	}
	return store.Validation(f...)
}

func (f *fieldCheck) name(field, value string) {
	if utf8.RuneCountInString(value) > maxNameLength {
		f.add(field, "must be at most 100 characters")
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		f.add(field, "must be a single line")
	}
}
