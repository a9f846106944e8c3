package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestListRequestResolve(t *testing.T) {
	def := store.Sort{Field: "createdAt", Desc: true}
	sortable := []string{"createdAt", "email"}
	for _, tc := range []struct {
		name   string
		r      store.ListRequest
		want   store.ListRequest
		fields []string
	}{
		{"zero value", store.ListRequest{}, store.ListRequest{Limit: store.DefaultLimit, Sort: def}, nil},
		{"kept", store.ListRequest{Limit: 100, Sort: store.Sort{Field: "email"}, Page: 3, IncludeTotal: true},
			store.ListRequest{Limit: 100, Sort: store.Sort{Field: "email"}, Page: 3, IncludeTotal: true}, nil},
		{"limit over 100", store.ListRequest{Limit: 101}, store.ListRequest{}, []string{"limit"}},
		{"negative limit", store.ListRequest{Limit: -1}, store.ListRequest{}, []string{"limit"}},
		{"negative page", store.ListRequest{Page: -2}, store.ListRequest{}, []string{"page"}},
		{"cursor with page", store.ListRequest{Page: 1, Cursor: "x"}, store.ListRequest{}, []string{"cursor"}},
		{"unknown sort", store.ListRequest{Sort: store.Sort{Field: "password"}}, store.ListRequest{}, []string{"sort"}},
		{"several", store.ListRequest{Limit: 500, Sort: store.ParseSort("-x")}, store.ListRequest{}, []string{"limit", "sort"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.r.Resolve(def, sortable...)
			if tc.fields == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			var e *store.Error
			require.True(t, errors.As(err, &e), "want a *store.Error, got %v", err)
			assert.ErrorIs(t, err, store.ErrValidation)
			var names []string
			for _, f := range e.Fields {
				names = append(names, f.Field)
			}
			assert.Equal(t, tc.fields, names)
		})
	}
}

func TestCursor(t *testing.T) {
	key := "2030-01-02T03:04:05.000001Z"
	c := store.Cursor{Sort: store.ParseSort("-createdAt"), Key: &key, ID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}
	text := c.Encode()
	t.Run("RoundTrip", func(t *testing.T) {
		got, err := store.DecodeCursor(text, store.ParseSort("-createdAt"))
		require.NoError(t, err)
		assert.Equal(t, c, got)
		null := store.Cursor{Sort: store.ParseSort("lastLoginAt"), ID: c.ID}
		got, err = store.DecodeCursor(null.Encode(), null.Sort)
		require.NoError(t, err)
		assert.Nil(t, got.Key, "a NULL key stays NULL")
	})
	for _, tc := range []struct{ name, text, sort string }{
		{"another direction", text, "createdAt"},
		{"another field", text, "-email"},
		{"not base64", "!!!", "-createdAt"},
		{"not JSON", "bm9wZQ", "-createdAt"},
		{"no id", store.Cursor{Sort: store.ParseSort("-createdAt")}.Encode(), "-createdAt"},
		{"empty", "", "-createdAt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.DecodeCursor(tc.text, store.ParseSort(tc.sort))
			var e *store.Error
			require.True(t, errors.As(err, &e), "want a *store.Error, got %v", err)
			require.Len(t, e.Fields, 1)
			assert.Equal(t, "cursor", e.Fields[0].Field)
		})
	}
}

func ExampleParseSort() {
	s := store.ParseSort("-lastLoginAt")
	fmt.Println(s.Field, s.Desc, s.String())
	fmt.Println(store.ParseSort("email").String(), store.ParseSort("") == store.Sort{})
	// Output:
	// lastLoginAt true -lastLoginAt
	// email true
}

// Walk the admin user list page by page: pass each page's NextCursor back
// until it is empty. The cursor belongs to the sort it came with.
func ExampleListRequest() {
	ctx := context.Background()
	st, err := bunstore.Open(ctx, "sqlite://:memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, email := range []string{"cy@example.com", "ada@example.com", "bob@example.com"} {
		if err := st.Users().Create(ctx, &store.User{Email: email, CreatedAt: now, UpdatedAt: now}); err != nil {
			log.Fatal(err)
		}
	}
	r := store.ListRequest{Limit: 2, Sort: store.ParseSort("email"), IncludeTotal: true}
	for {
		page, err := st.Users().List(ctx, store.UserFilter{Q: "example"}, r)
		if err != nil {
			log.Fatal(err)
		}
		for _, u := range page.Items {
			fmt.Print(u.Email, " ")
		}
		fmt.Println("of", *page.Total)
		if page.NextCursor == "" {
			break
		}
		r.Cursor = page.NextCursor
	}
	// Output:
	// ada@example.com bob@example.com of 3
	// cy@example.com of 3
}
