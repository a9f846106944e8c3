package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/usermgmt/usermgmt/store"
)

// List parameters every list route takes.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// listParams are a list request's paging and sorting.
type listParams struct {
	Limit        int
	Cursor       string
	Page         int // 1-based; 0 when paging by cursor
	IncludeTotal bool
	Sort         string // a field name from the route's allowed set
	Desc         bool
}

// parseList reads limit, cursor, page, includeTotal and sort. A limit over
// 100, a cursor together with a page, and an unknown sort field are 400s,
// not silently corrected.
func parseList(q url.Values, sortable ...string) (listParams, error) {
	return parseParams(q, true, sortable)
}

// parseStoreList reads the list parameters of a list the store pages and
// converts them to its request. The store knows the sort fields it
// offers and refuses another one with a 400 naming "sort".
func parseStoreList(q url.Values) (store.ListRequest, error) {
	p, err := parseParams(q, false, nil)
	if err != nil {
		return store.ListRequest{}, err
	}
	return store.ListRequest{Limit: p.Limit, Cursor: p.Cursor, Page: p.Page, IncludeTotal: p.IncludeTotal,
		Sort: store.Sort{Field: p.Sort, Desc: p.Desc}}, nil
}

// storeListJSON converts a page from the store into the list envelope.
func storeListJSON[S, T any](p store.Page[S], conv func(S) T) listJSON[T] {
	out := listJSON[T]{Items: make([]T, len(p.Items)), Total: p.Total}
	for i, it := range p.Items {
		out.Items[i] = conv(it)
	}
	if p.NextCursor != "" {
		c := p.NextCursor
		out.NextCursor = &c
	}
	return out
}

func parseParams(q url.Values, checkSort bool, sortable []string) (listParams, error) {
	p := listParams{Limit: defaultLimit}
	var fields []store.FieldError
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fields = append(fields, store.FieldError{Field: "limit", Message: "must be a whole number from 1 to 100"})
		}
		p.Limit = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fields = append(fields, store.FieldError{Field: "page", Message: "must be a whole number from 1"})
		}
		p.Page = n
	}
	p.Cursor = q.Get("cursor")
	if p.Cursor != "" && p.Page != 0 {
		fields = append(fields, store.FieldError{Field: "cursor", Message: "cannot be used with page"})
	}
	switch v := q.Get("includeTotal"); v {
	case "", "false":
	case "true":
		p.IncludeTotal = true
	default:
		fields = append(fields, store.FieldError{Field: "includeTotal", Message: "must be true or false"})
	}
	if v := q.Get("sort"); v != "" {
		p.Desc = strings.HasPrefix(v, "-")
		p.Sort = strings.TrimPrefix(v, "-")
		ok := !checkSort && p.Sort != ""
		for _, s := range sortable {
			ok = ok || s == p.Sort
		}
		if !ok {
			msg := "cannot sort by " + strconv.Quote(p.Sort)
			if len(sortable) > 0 {
				msg += "; use one of " + strings.Join(sortable, ", ")
			}
			fields = append(fields, store.FieldError{Field: "sort", Message: msg})
		}
	}
	if len(fields) > 0 {
		return p, store.Validation(fields...)
	}
	return p, nil
}

// listJSON is the envelope of every list. Total is present when the
// client asked for it or paged by number.
type listJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
	Total      *int    `json:"total,omitempty"`
}

// paginate pages a list held in memory (roles and permissions: a handful
// of items). Its cursors are offsets; lists that live in the store
// page by keyset instead.
func paginate[T any](items []T, p listParams) (listJSON[T], error) {
	offset := 0
	switch {
	case p.Page > 0:
		offset = (p.Page - 1) * p.Limit
	case p.Cursor != "":
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(raw), "o:"))
		if err != nil || cerr != nil || !strings.HasPrefix(string(raw), "o:") || n < 0 {
			return listJSON[T]{}, store.Validation(store.FieldError{Field: "cursor", Message: "is not a cursor this list gave"})
		}
		offset = n
	}
	out := listJSON[T]{Items: []T{}}
	if offset < len(items) {
		end := min(offset+p.Limit, len(items))
		out.Items = items[offset:end]
		if end < len(items) {
			c := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
			out.NextCursor = &c
		}
	}
	if p.IncludeTotal || p.Page > 0 {
		n := len(items)
		out.Total = &n
	}
	return out, nil
}

// sortBy sorts items in place by the key function chosen by p.Sort, keeping
// the given order when p.Sort is empty.
func sortBy[T any](items []T, p listParams, keys map[string]func(T) string) {
	key, ok := keys[p.Sort]
	if !ok {
		return
	}
	sort.SliceStable(items, func(i, j int) bool {
		if p.Desc {
			return key(items[i]) > key(items[j])
		}
		return key(items[i]) < key(items[j])
	})
}

// writeList parses the list parameters, sorts and pages items, and
// answers the envelope.
func writeList[T any](a *api, w http.ResponseWriter, r *http.Request, items []T, keys map[string]func(T) string) {
	sortable := make([]string, 0, len(keys))
	for k := range keys {
		sortable = append(sortable, k)
	}
	sort.Strings(sortable)
	p, err := parseList(r.URL.Query(), sortable...)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	sortBy(items, p, keys)
	out, err := paginate(items, p)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
