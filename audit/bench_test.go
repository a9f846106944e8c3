package audit_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/auditgen"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// benchEnd is where the generated log ends.
var benchEnd = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// benchNow is the benchmarks' now: half a day into the log's last day, so
// that analytics reads the current day, and stats the last half hour,
// from audit_log as a live system would.
var benchNow = benchEnd.Add(-11*time.Hour - 30*time.Minute)

// benchRows is how many entries the benchmarks run on:
// USERMGMT_BENCH_AUDIT_ROWS, default 10,000,000, spread over a year.
func benchRows(b *testing.B) int {
	n := 10_000_000
	if v := os.Getenv("USERMGMT_BENCH_AUDIT_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("USERMGMT_BENCH_AUDIT_ROWS: %v", err)
		}
	}
	return n
}

// benchStore opens the PostgreSQL schema bench_audit_N of the test server,
// filling it with N generated entries the first time (a few minutes for
// ten million); later runs reuse it. Drop the schema to generate it anew.
func benchStore(b *testing.B) (*bunstore.Store, *audit.Query) {
	b.Helper()
	ctx := context.Background()
	n := benchRows(b)
	dsn := dbtest.PostgresDSN(b)
	schema := fmt.Sprintf("bench_audit_%d", n)
	admin, err := bunstore.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.DB().ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		b.Fatal(err)
	}
	// Generating takes longer than the driver's default read timeout.
	st, err := bunstore.Open(ctx, dbtest.WithSearchPath(dsn, schema)+"&read_timeout=900s")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var have int
	if err := st.DB().NewRaw("SELECT count(*) FROM audit_log").Scan(ctx, &have); err != nil {
		b.Fatal(err)
	}
	if have != n {
		start := time.Now()
		if _, err := st.DB().ExecContext(ctx, "TRUNCATE audit_log"); err != nil {
			b.Fatal(err)
		}
		if err := auditgen.Fill(ctx, st.DB(), n, 365*24*time.Hour, benchEnd); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d audit entries in %s", n, time.Since(start).Round(time.Second))
	}
	now := func() time.Time { return benchNow }
	log := audit.New(st, now)
	r := rbac.New(st, log, now)
	q, err := audit.NewQuery(log, func(ctx context.Context, p, action, target string) error {
		_, err := r.Require(ctx, rbac.Permission(p), action, target)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	// The first run rolls the whole log up, as the job would on upgrade.
	start := time.Now()
	if err := q.RollUp(benchCtx); err != nil {
		b.Fatal(err)
	}
	b.Logf("rollups brought up to date in %s", time.Since(start).Round(time.Millisecond))
	return st, q
}

var benchCtx = store.NewContextWithActor(context.Background(), store.SystemActor)

// timed runs fn b.N times and reports the 95th percentile and median in
// milliseconds.
func timed(b *testing.B, fn func() error) {
	b.Helper()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	b.ReportMetric(ms(d[len(d)*95/100]), "p95-ms")
	b.ReportMetric(ms(d[len(d)/2]), "p50-ms")
}

// BenchmarkAuditFirstPage is each filter's first page of 20 (goal: p95
// at most 20 ms at 10,000,000 entries).
func BenchmarkAuditFirstPage(b *testing.B) {
	st, q := benchStore(b)
	var ids []string
	if err := st.DB().NewRaw(auditgen.ActorQuery(17)+" UNION ALL "+auditgen.ActorQuery(119)).Scan(context.Background(), &ids); err != nil {
		b.Fatal(err)
	}
	filters := auditgen.Filters(benchEnd, ids[0], ids[1])
	names := make([]string, 0, len(filters))
	for k := range filters {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		f := filters[name]
		b.Run(name, func(b *testing.B) {
			timed(b, func() error {
				_, err := q.List(benchCtx, f, store.ListRequest{Limit: 20})
				return err
			})
		})
	}
}

// BenchmarkAuditAnalytics is 30 days by day (goal: at most 200 ms).
func BenchmarkAuditAnalytics(b *testing.B) {
	_, q := benchStore(b)
	timed(b, func() error {
		_, err := q.Analytics(benchCtx, audit.Window{}, audit.Day)
		return err
	})
}

// BenchmarkAuditStats is the last 30 days (goal: at most 200 ms).
func BenchmarkAuditStats(b *testing.B) {
	_, q := benchStore(b)
	timed(b, func() error {
		_, err := q.Stats(benchCtx, audit.Window{})
		return err
	})
}
