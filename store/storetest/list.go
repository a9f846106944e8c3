package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

// listFunc is one store list with its filter bound.
type listFunc[T any] func(r store.ListRequest) (store.Page[T], error)

// all returns every item of the list in the default order, in one page.
func all[T any](t *testing.T, list listFunc[T]) []T {
	t.Helper()
	p, err := list(store.ListRequest{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Empty(t, p.NextCursor, "all: more than one page")
	return p.Items
}

// walk follows NextCursor from the first page of r to the last and returns
// the items of every page in order and how many pages there were. Each
// page must hold r.Limit items but the last, which must hold at least one
// unless it is the only one.
func walk[T any](t *testing.T, list listFunc[T], r store.ListRequest) (items []T, pages int) {
	t.Helper()
	for {
		p, err := list(r)
		require.NoError(t, err, "page %d", pages+1)
		require.NotNil(t, p.Items, "Items is never nil")
		pages++
		items = append(items, p.Items...)
		if p.NextCursor == "" {
			return items, pages
		}
		assert.Len(t, p.Items, r.Limit, "page %d of several is full", pages)
		require.Less(t, pages, 1000, "the cursor does not advance")
		r.Cursor = p.NextCursor
	}
}

// listContract checks what every list shares on a list of n ≥ 5 items whose
// order under sort is want (ids): walking pages of every size gives each
// item once, in order; page numbers give the same slices with the total;
// a bad cursor, a cursor of the other direction, a cursor with a page,
// bad limits and an unknown sort are refused with a Validation naming the
// field.
func listContract[T any](t *testing.T, list listFunc[T], id func(T) string, sort store.Sort, want []string) {
	t.Helper()
	require.GreaterOrEqual(t, len(want), 5)
	ids := func(items []T) []string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = id(it)
		}
		return out
	}
	for _, limit := range []int{1, 2, 3, len(want) - 1, len(want), store.MaxLimit} {
		got, pages := walk(t, list, store.ListRequest{Limit: limit, Sort: sort})
		assert.Equal(t, want, ids(got), "sort %q, limit %d: every item once, in order", sort, limit)
		assert.Equal(t, max(1, (len(want)+limit-1)/limit), pages, "sort %q, limit %d: pages", sort, limit)
	}

	// Page numbers: the same slices, with the total on each.
	for page := 1; page <= 3; page++ {
		p, err := list(store.ListRequest{Limit: 2, Page: page, Sort: sort})
		require.NoError(t, err)
		from, to := min((page-1)*2, len(want)), min(page*2, len(want))
		assert.Equal(t, want[from:to], ids(p.Items), "sort %q, page %d", sort, page)
		if assert.NotNil(t, p.Total, "page %d has the total", page) {
			assert.Equal(t, len(want), *p.Total)
		}
	}
	p, err := list(store.ListRequest{Limit: 2, Page: len(want), Sort: sort})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "a page past the end is empty")
	assert.Empty(t, p.NextCursor)
	require.NotNil(t, p.Total)
	assert.Equal(t, len(want), *p.Total)

	// The total only when asked for.
	p, err = list(store.ListRequest{Limit: 2, Sort: sort})
	require.NoError(t, err)
	assert.Nil(t, p.Total, "no total unless asked for")
	require.NotEmpty(t, p.NextCursor)
	next := p.NextCursor
	p, err = list(store.ListRequest{Limit: 2, Sort: sort, IncludeTotal: true, Cursor: next})
	require.NoError(t, err)
	if assert.NotNil(t, p.Total) {
		assert.Equal(t, len(want), *p.Total, "the total is of the whole list, not what is left")
	}
	assert.Equal(t, want[2:4], ids(p.Items))

	other := sort
	other.Desc = !other.Desc
	for _, tc := range []struct {
		name  string
		r     store.ListRequest
		field string
	}{
		{"bad cursor", store.ListRequest{Sort: sort, Cursor: "not-a-cursor"}, "cursor"},
		{"cursor of JSON garbage", store.ListRequest{Sort: sort, Cursor: "eyJzIjoxfQ"}, "cursor"},
		{"cursor of the other direction", store.ListRequest{Sort: other, Cursor: next}, "cursor"},
		{"cursor with a page", store.ListRequest{Sort: sort, Cursor: next, Page: 1}, "cursor"},
		{"limit over 100", store.ListRequest{Sort: sort, Limit: store.MaxLimit + 1}, "limit"},
		{"negative limit", store.ListRequest{Sort: sort, Limit: -1}, "limit"},
		{"negative page", store.ListRequest{Sort: sort, Page: -1}, "page"},
		{"unknown sort", store.ListRequest{Sort: store.Sort{Field: "password"}}, "sort"},
	} {
		_, err := list(tc.r)
		if isErr(t, err, store.ErrValidation, tc.name) {
			var e *store.Error
			require.ErrorAs(t, err, &e)
			if assert.Len(t, e.Fields, 1, tc.name) {
				assert.Equal(t, tc.field, e.Fields[0].Field, tc.name)
			}
		}
	}

	// A cursor from a forged id is refused, not a 500 on PostgreSQL.
	forged := store.Cursor{Sort: sort, ID: badID}.Encode()
	_, err = list(store.ListRequest{Sort: sort, Cursor: forged})
	isErr(t, err, store.ErrValidation, "cursor with a bad id")
}

// reverse returns s reversed.
func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
