package usermgmt_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/datagen"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// Environment of BenchmarkAdminUserSearch.
const (
	// envBenchAdminN is how many generated users to load; unset skips.
	envBenchAdminN = "USERMGMT_BENCH_ADMIN_N"
	// envBenchAdminDB is "postgres" (default) or "sqlite".
	envBenchAdminDB = "USERMGMT_BENCH_ADMIN_DB"
)

// BenchmarkAdminUserSearch serves GET /admin/users through the whole
// handler (token, permission check, rate limiter, middleware) over a
// store holding USERMGMT_BENCH_ADMIN_N generated users, without a network
// in between, and reports the p50 and p95 latency of each request shape:
// q of three or more letters (a mix of rare and common fragments), q with
// a status or role filter, the filters alone, and page 1,000 by keyset
// cursor (and, for comparison, by page number, which counts the total).
//
//	USERMGMT_BENCH_ADMIN_N=1000000 flock /tmp/usermgmt-heavy.lock \
//	  ./scripts/test.sh --run go test -run '^$' -bench BenchmarkAdminUserSearch -benchtime 200x .
//	USERMGMT_BENCH_ADMIN_N=100000 USERMGMT_BENCH_ADMIN_DB=sqlite flock /tmp/usermgmt-heavy.lock \
//	  go test -run '^$' -bench BenchmarkAdminUserSearch -benchtime 200x .
func BenchmarkAdminUserSearch(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv(envBenchAdminN))
	if n <= 0 {
		b.Skipf("set %s to the number of users to load", envBenchAdminN)
	}
	var st *bunstore.Store
	if os.Getenv(envBenchAdminDB) == "sqlite" {
		st = dbtest.SQLite(b)
	} else {
		// Rebuilding the trigram index after the bulk load takes longer
		// than the driver's default 10 s read timeout.
		b.Setenv(dbtest.EnvPostgresDSN, dbtest.PostgresDSN(b)+"&read_timeout=10m")
		st = dbtest.Postgres(b)
	}
	ctx := context.Background()
	res, err := datagen.Load(ctx, st, datagen.Config{Users: n, BcryptCost: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d users (%d sessions) in %s", res.Users, res.Sessions, res.Elapsed.Round(time.Millisecond))
	if os.Getenv(envBenchAdminDB) != "sqlite" {
		// datagen rebuilds the indexes from pg_get_indexdef after its
		// COPY, which forgets migration 0007's statistics target on the
		// search index; a migrated production table keeps it.
		for _, q := range []string{"ALTER INDEX users_search_trgm_idx ALTER COLUMN 1 SET STATISTICS 1000", "ANALYZE users"} {
			if _, err := st.DB().ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	quiet := notify.MailerFunc(func(context.Context, notify.Message) error { return nil })
	m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithMailer(quiet),
		usermgmt.WithRateLimits(httpapi.Limits{}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	const email, password = "bench-admin@example.com", "violet harbour lantern 42"
	if err := m.Auth().EnsureAdmin(ctx, email, password); err != nil {
		b.Fatal(err)
	}
	login, err := m.Auth().Login(ctx, auth.Credentials{Identifier: email, Password: password})
	if err != nil {
		b.Fatal(err)
	}
	h := http.StripPrefix("/api/v1", m.Handler())
	get := func(b *testing.B, query string) listPage {
		req := httptest.NewRequest("GET", "/api/v1/admin/users?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+login.Tokens.AccessToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: status %d: %s", query, w.Code, w.Body)
		}
		var p listPage
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			b.Fatal(err)
		}
		return p
	}
	// Fragments of the generated names and addresses: common last-name
	// parts, rare ones, and pieces of one address.
	queries := []string{"ander", "smith", "kowal", "yamam", "ingrid", "astrid.h", "lee12", "corp.ex", "sven", "mcdon", "ortiz4", "zachary.w"}
	cursor := keysetCursor(b, get, 1000)
	shapes := []struct {
		name  string
		query func(i int) string
	}{
		{"q", func(i int) string { return "q=" + url.QueryEscape(queries[i%len(queries)]) }},
		{"q+status", func(i int) string { return "status=active&q=" + url.QueryEscape(queries[i%len(queries)]) }},
		{"q+role", func(i int) string { return "role=moderator&q=" + url.QueryEscape(queries[i%len(queries)]) }},
		{"status", func(int) string { return "status=suspended" }},
		{"role", func(int) string { return "role=moderator" }},
		{"keyset-page-1000", func(int) string { return "cursor=" + url.QueryEscape(cursor) }},
		{"offset-page-1000", func(int) string { return "page=1000" }},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				get(b, s.query(i))
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

type listPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor *string           `json:"nextCursor"`
}

// keysetCursor walks the default order to the cursor that opens page.
func keysetCursor(b *testing.B, get func(*testing.B, string) listPage, page int) string {
	cursor := ""
	for i := 1; i < page; i++ {
		p := get(b, "cursor="+url.QueryEscape(cursor))
		if p.NextCursor == nil {
			b.Fatalf("the list ends before page %d", page)
		}
		cursor = *p.NextCursor
	}
	return cursor
}

// reportLatency reports the p50 and p95 of lat in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}
