package store

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// Limits of a ListRequest.
const (
	// DefaultLimit is the page size of a ListRequest whose Limit is 0.
	DefaultLimit = 20
	// MaxLimit is the largest Limit a store accepts.
	MaxLimit = 100
)

// Sort names the field a list is ordered by and its direction. The zero
// Sort asks for the list's own default order (for most lists newest first,
// "-createdAt"). Ties are always broken by id, in the same direction, so
// the order is total and stable across pages.
type Sort struct {
	Field string
	Desc  bool
}

// ParseSort reads a sort as clients write it: a field name, with a leading
// "-" for descending. ParseSort("") is the zero Sort.
func ParseSort(s string) Sort {
	if strings.HasPrefix(s, "-") {
		return Sort{Field: s[1:], Desc: true}
	}
	return Sort{Field: s}
}

// String returns s as ParseSort reads it.
func (s Sort) String() string {
	if s.Desc {
		return "-" + s.Field
	}
	return s.Field
}

// ListRequest asks a store for one page of a list. The zero value asks for
// the first DefaultLimit items in the list's default order, without a
// total.
//
// A list pages by Cursor (keyset: as fast on the last page as on the
// first, and stable while rows are added) unless Page is set; Page pages
// by offset for admin screens that jump to a page number, and always
// counts the total.
type ListRequest struct {
	// Limit is the page size, 1 to MaxLimit; 0 means DefaultLimit.
	Limit int
	// Cursor is Page.NextCursor of the previous page, or empty for the
	// first page. A cursor is only valid with the Sort that produced it.
	Cursor string
	// Sort orders the list; the zero Sort is the list's default.
	Sort Sort
	// IncludeTotal asks for Page.Total.
	IncludeTotal bool
	// Page is a 1-based page number, or 0 to page by Cursor. It cannot be
	// combined with Cursor.
	Page int
}

// Resolve checks r against the sort fields a list offers and returns it
// with its defaults filled in: the limit, and def when r.Sort is the zero
// Sort. Stores call it first; the error is a Validation naming "limit",
// "page", "cursor" or "sort".
func (r ListRequest) Resolve(def Sort, sortable ...string) (ListRequest, error) {
	var fields []FieldError
	switch {
	case r.Limit == 0:
		r.Limit = DefaultLimit
	case r.Limit < 0 || r.Limit > MaxLimit:
		fields = append(fields, FieldError{Field: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(MaxLimit)})
	}
	if r.Page < 0 {
		fields = append(fields, FieldError{Field: "page", Message: "must be a whole number from 1"})
	}
	if r.Page > 0 && r.Cursor != "" {
		fields = append(fields, FieldError{Field: "cursor", Message: "cannot be used with page"})
	}
	if r.Sort.Field == "" {
		r.Sort = def
	}
	known := false
	for _, s := range sortable {
		known = known || s == r.Sort.Field
	}
	if !known {
		msg := "cannot sort by " + strconv.Quote(r.Sort.Field)
		if len(sortable) > 0 {
			msg += "; use one of " + strings.Join(sortable, ", ")
		}
		fields = append(fields, FieldError{Field: "sort", Message: msg})
	}
	if len(fields) > 0 {
		return r, Validation(fields...)
	}
	return r, nil
}

// Offset is the number of rows before r.Page, or 0 when r pages by cursor.
func (r ListRequest) Offset() int {
	if r.Page <= 1 {
		return 0
	}
	return (r.Page - 1) * r.Limit
}

// Page is one page of a list.
type Page[T any] struct {
	// Items are the page's items in order; never nil.
	Items []T
	// NextCursor continues the list after the last item, or is empty when
	// there is nothing after it.
	NextCursor string
	// Total is how many items the whole list holds (every page, under the
	// same filter). It is nil unless the request set IncludeTotal or Page.
	Total *int
}

// Cursor is the position after one row of a sorted list: the row's sort
// key and its id, which breaks ties. Stores encode it opaquely into
// Page.NextCursor; clients only pass it back.
type Cursor struct {
	// Sort is the order the cursor belongs to.
	Sort Sort
	// Key is the row's sort key as text (times in RFC 3339 with
	// nanoseconds, UTC), or nil when the key is NULL.
	Key *string
	// ID is the row's id.
	ID string
}

type cursorJSON struct {
	S string  `json:"s"`
	K *string `json:"k"`
	I string  `json:"i"`
}

// Encode returns the opaque text of c.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(cursorJSON{S: c.Sort.String(), K: c.Key, I: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// errBadCursor refuses a cursor this list did not give.
func errBadCursor(msg string) error {
	return Validation(FieldError{Field: "cursor", Message: msg})
}

// DecodeCursor reads a cursor Encode made for the order sort. It refuses
// text that is not such a cursor, and a cursor of another sort (its
// position means nothing in this order), with a Validation naming
// "cursor".
func DecodeCursor(text string, sort Sort) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(text)
	var c cursorJSON
	if err != nil || json.Unmarshal(raw, &c) != nil || c.I == "" {
		return Cursor{}, errBadCursor("is not a cursor this list gave")
	}
	if c.S != sort.String() {
		return Cursor{}, errBadCursor("was given for sort " + strconv.Quote(c.S) + ", not " + strconv.Quote(sort.String()))
	}
	return Cursor{Sort: sort, Key: c.K, ID: c.I}, nil
}
