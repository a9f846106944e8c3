package usermgmt_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2ESessionsPaged walks GET /sessions page by page: the store cuts
// the pages, by keyset cursor or by page number.
func TestE2ESessionsPaged(t *testing.T) {
	e := newRBACEnv(t, nil)
	for range 4 {
		e.login(t, "user@example.com", e2ePassword)
	}
	const n = 5 // the env's own login and four more
	bearer := e2eBearer(e.user)

	walk := func(t *testing.T, query string) []map[string]any {
		t.Helper()
		var items []map[string]any
		q := query
		for range 10 {
			r := e.get(t, "/sessions?"+q, bearer...)
			require.Equal(t, 200, r.Status, r.String())
			body := r.JSON(t)
			assert.Contains(t, body, "nextCursor", "nextCursor is present, null on the last page")
			for _, it := range body["items"].([]any) {
				items = append(items, it.(map[string]any))
			}
			next, _ := body["nextCursor"].(string)
			if next == "" {
				return items
			}
			q = query + "&cursor=" + url.QueryEscape(next)
		}
		t.Fatal("the cursor does not advance")
		return nil
	}
	ids := func(items []map[string]any) []string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it["id"].(string)
		}
		return out
	}

	all := walk(t, "limit=100")
	require.Len(t, all, n)
	for i := 1; i < len(all); i++ {
		assert.GreaterOrEqual(t, all[i-1]["createdAt"], all[i]["createdAt"], "newest first")
	}
	for _, query := range []string{"limit=1", "limit=2", "limit=2&sort=-createdAt"} {
		assert.Equal(t, ids(all), ids(walk(t, query)), query)
	}
	asc := walk(t, "limit=2&sort=createdAt")
	assert.ElementsMatch(t, ids(all), ids(asc))
	for i := 1; i < len(asc); i++ {
		assert.LessOrEqual(t, asc[i-1]["createdAt"], asc[i]["createdAt"], "oldest first")
	}
	assert.ElementsMatch(t, ids(all), ids(walk(t, "limit=3&sort=lastSeenAt")))

	page := e.get(t, "/sessions?limit=2&page=2", bearer...).JSON(t)
	assert.Equal(t, ids(all)[2:4], ids(toMaps(page["items"].([]any))))
	assert.EqualValues(t, n, page["total"], "total with a page number")
	first := e.get(t, "/sessions?limit=2", bearer...).JSON(t)
	assert.NotContains(t, first, "total", "no total unless asked for")
	counted := e.get(t, "/sessions?limit=2&includeTotal=true", bearer...).JSON(t)
	assert.EqualValues(t, n, counted["total"])

	cursor := url.QueryEscape(first["nextCursor"].(string))
	for _, tc := range []struct{ query, field string }{
		{"sort=ip", "sort"},
		{"sort=-", "sort"},
		{"limit=101", "limit"},
		{"cursor=garbage", "cursor"},
		{"cursor=" + cursor + "&page=1", "cursor"},
		{"sort=createdAt&cursor=" + cursor, "cursor"},
	} {
		p := e2eCheckProblem(t, e.get(t, "/sessions?"+tc.query, bearer...), 400, "VALIDATION_FAILED")
		assert.Equal(t, []string{tc.field}, p.Fields(), tc.query)
	}
}

func toMaps(items []any) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it.(map[string]any)
	}
	return out
}
