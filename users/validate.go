package users

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/store"
)

// Limits on profile fields, in characters (Unicode code points).
const (
	maxName        = 100
	maxDisplayName = 100
	maxBio         = 500
	maxLocation    = 100
	maxWebsite     = 2048
	minPhoneDigits = 8
	maxPhoneDigits = 15
)

// checks collects validation problems, one per field.
type checks []store.FieldError

func (c *checks) add(field, msg string) {
	*c = append(*c, store.FieldError{Field: field, Message: msg})
}

func (c checks) err() error {
	if len(c) == 0 {
		return nil
	}
	sort.Slice(c, func(i, j int) bool { return c[i].Field < c[j].Field })
	return store.Validation(c...)
}

// singleLine reports whether s has no line breaks or other control
// characters.
func singleLine(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// text checks a free-text field after trimming surrounding space, in
// place: at most max characters, single-line unless multiline. "" clears
// the field; with min > 0 a value of spaces only is refused, as a name
// is min to max characters or cleared.
func (c *checks) text(field string, v *string, min, max int, multiline bool) {
	if v == nil {
		return
	}
	blank := *v != ""
	*v = strings.TrimSpace(*v)
	blank = blank && *v == ""
	n := utf8.RuneCountInString(*v)
	switch {
	case !utf8.ValidString(*v):
		c.add(field, "must be valid UTF-8")
	case min > 0 && (blank || n > max):
		c.add(field, "must be "+strconv.Itoa(min)+" to "+strconv.Itoa(max)+" characters; send null to clear it")
	case n > max:
		c.add(field, "must be at most "+strconv.Itoa(max)+" characters")
	case !multiline && !singleLine(*v):
		c.add(field, "must be a single line without control characters")
	case multiline && strings.ContainsFunc(*v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		c.add(field, "must not contain control characters other than line breaks and tabs")
	}
}

// website checks that v is an absolute http or https URL.
func (c *checks) website(v *string) {
	if v == nil {
		return
	}
	*v = strings.TrimSpace(*v)
	if *v == "" {
		return
	}
	if len(*v) > maxWebsite {
		c.add("website", "must be at most 2048 characters")
		return
	}
	u, err := url.Parse(*v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.ContainsFunc(*v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		c.add("website", "must be an absolute http or https URL, such as https://example.com")
		return
	}
	// Lower-case the scheme and host, as browsers do.
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	*v = u.String()
}

// phone checks an E.164 number, with spaces removed: '+' and 8 to 15
// digits, the first not 0.
func (c *checks) phone(v *string) {
	if v == nil {
		return
	}
	*v = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, *v)
	if *v == "" {
		return
	}
	digits := strings.TrimPrefix(*v, "+")
	ok := len(*v) == len(digits)+1 && len(digits) >= minPhoneDigits && len(digits) <= maxPhoneDigits && digits[0] != '0'
	for i := 0; ok && i < len(digits); i++ {
		ok = digits[i] >= '0' && digits[i] <= '9'
	}
	if !ok {
		c.add("phoneNumber", "must be an E.164 number: '+' and 8 to 15 digits, such as +14155550100")
	}
}

// visibility checks a profile visibility; "" is cleared (public).
func (c *checks) visibility(v *string) {
	if v == nil {
		return
	}
	switch store.Visibility(*v) {
	case "", store.VisibilityPublic, store.VisibilityPrivate:
		return
	}
	c.add("visibility", "must be public or private")
}
