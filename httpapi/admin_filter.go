package httpapi

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/store"
)

// maxAdminQueryLen caps q: a search longer than any email or name can only
// cost the database work.
const maxAdminQueryLen = 200

// parseAdminUserFilter reads the filters of GET /admin/users (and of every
// route that takes "the same filters as the list"): q, status, role,
// emailVerified, twoFactor, createdFrom and createdTo. Times are RFC 3339
// or a plain date (YYYY-MM-DD, midnight UTC). Every bad parameter is named
// in one 400 VALIDATION_FAILED.
func parseAdminUserFilter(r *http.Request) (admin.UserFilter, error) {
	q := r.URL.Query()
	var f admin.UserFilter
	var fields []store.FieldError
	bad := func(field, msg string) { fields = append(fields, store.FieldError{Field: field, Message: msg}) }

	f.Q = strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(f.Q) > maxAdminQueryLen {
		bad("q", "must be at most 200 characters")
	}
	if v := q.Get("status"); v != "" {
		f.Status = store.Status(v)
		if !f.Status.Valid() {
			bad("status", "must be one of active, deactivated, suspended, locked, deleted")
		}
	}
	f.Role = strings.TrimSpace(q.Get("role"))
	for _, b := range []struct {
		name string
		dst  **bool
	}{{"emailVerified", &f.EmailVerified}, {"twoFactor", &f.TwoFactor}} {
		switch v := q.Get(b.name); v {
		case "":
		case "true", "false":
			val := v == "true"
			*b.dst = &val
		default:
			bad(b.name, "must be true or false")
		}
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"createdFrom", &f.CreatedFrom}, {"createdTo", &f.CreatedTo}} {
		if v := q.Get(t.name); v != "" {
			at, ok := parseFilterTime(v)
			if !ok {
				bad(t.name, "must be an RFC 3339 time or a date (YYYY-MM-DD)")
			}
			*t.dst = at
		}
	}
	if !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && !f.CreatedFrom.Before(f.CreatedTo) {
		bad("createdTo", "must be after createdFrom")
	}
	if len(fields) > 0 {
		return admin.UserFilter{}, store.Validation(fields...)
	}
	return f, nil
}

// parseFilterTime reads an RFC 3339 time or a date, in UTC.
func parseFilterTime(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}
