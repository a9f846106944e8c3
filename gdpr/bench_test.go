package gdpr_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/gdpr"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func newService(tb testing.TB, st store.Store) *gdpr.Service {
	tb.Helper()
	l := audit.New(st, nil)
	svc, err := gdpr.New(gdpr.Config{Store: st, Audit: l, RBAC: rbac.New(st, l, nil)})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// insertRows inserts rows of cols into table, 500 per statement, with
// values from row(i).
func insertRows(tb testing.TB, st *bunstore.Store, table string, cols []string, n int, row func(i int) []any) {
	tb.Helper()
	const per = 500
	ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < n; start += per {
		end := min(n, start+per)
		var args []any
		var values []string
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
			values = append(values, ph)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(values, ", ")
		if _, err := st.DB().NewRaw(q, args...).Exec(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}
}

// peakHeap samples HeapInuse until stop is called and returns the
// largest value seen.
func peakHeap() (stop func() uint64) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapInuse)
		mu.Unlock()
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		sample()
		return peak
	}
}

// BenchmarkExport exports a user with 100,000 audit entries and reports
// the peak heap in use during the export.
func BenchmarkExport(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(d, func(b *testing.B) {
			st := dbtest.Open(b, d)
			ctx := store.NewContextWithActor(context.Background(), store.SystemActor)
			u := &store.User{Email: "bench@example.com"}
			if err := st.Users().Create(ctx, u); err != nil {
				b.Fatal(err)
			}
			at := time.Now().UTC().Add(-time.Hour)
			insertRows(b, st, "audit_log", []string{"id", "actor_id", "action", "outcome", "ip", "user_agent", "metadata", "created_at"},
				100_000, func(i int) []any {
					return []any{uuid.NewString(), u.ID, "bench.action", "success", "203.0.113.5", "BenchAgent/1.0",
						`{"session_id":"` + uuid.NewString() + `"}`, at.Add(time.Duration(i) * time.Millisecond)}
				})
			// Statistics as autovacuum would have them after such a load.
			if _, err := st.DB().ExecContext(ctx, "ANALYZE audit_log"); err != nil {
				b.Fatal(err)
			}
			svc := newService(b, st)
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			b.ResetTimer()
			var peak uint64
			for b.Loop() {
				stop := peakHeap()
				var n countingWriter
				if err := svc.Export(ctx, u.ID, &n); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, stop())
				b.ReportMetric(float64(n)/(1<<20), "export-MiB")
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(peak-min(peak, base.HeapInuse))/(1<<20), "heap-growth-MiB")
		})
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkPurge purges 10,000 expired accounts on PostgreSQL and reports
// the time per account.
func BenchmarkPurge(b *testing.B) {
	st := dbtest.Postgres(b)
	svc := newService(b, st)
	now := time.Now().UTC()
	for b.Loop() {
		b.StopTimer()
		past := now.Add(-time.Hour)
		prefs := `{"Language":"en","Timezone":"UTC","Theme":"system","NotifyEmail":true,"NotifyInApp":true,"NotifySecurity":true}`
		run := uuid.NewString()[:8]
		insertRows(b, st, "users", []string{"id", "email", "status", "deleted_at", "purge_after", "preferences", "created_at", "updated_at"},
			10_000, func(i int) []any {
				return []any{uuid.NewString(), fmt.Sprintf("p%s-%d@example.com", run, i), "deleted", past, past, prefs, past, past}
			})
		b.StartTimer()
		start := time.Now()
		n, err := svc.Purge(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n != 10_000 {
			b.Fatalf("purged %d, want 10000", n)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n), "µs/account")
	}
}
