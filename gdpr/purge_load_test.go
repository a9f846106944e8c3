package gdpr_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
)

// BenchmarkPurgeLoginLatency purges many expired accounts on PostgreSQL
// (USERMGMT_BENCH_PURGE_N, default 100,000) and measures sign-ins while it
// runs against sign-ins on the same database before it, so that a purge
// that stalls sign-ins shows. Hashing is cheap (bcrypt cost 4) so that the
// latency is the database's, not the hash's.
//
//	./scripts/test.sh -run '^$' -bench PurgeLoginLatency -benchtime 1x ./gdpr/
func BenchmarkPurgeLoginLatency(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("USERMGMT_BENCH_PURGE_N")); err == nil && v > 0 {
		n = v
	}
	st := dbtest.Postgres(b)
	m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithRateLimit(0),
		usermgmt.WithEncryptionKey(make([]byte, 32)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const email, password = "live@example.com", "violet harbour lantern"
	if _, err := m.Auth().Register(ctx, auth.Registration{Email: email, Password: password}); err != nil {
		b.Fatal(err)
	}
	login := func() time.Duration {
		start := time.Now()
		if _, err := m.Auth().Login(ctx, auth.Credentials{Identifier: email, Password: password}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	p := func(d []time.Duration, q float64) float64 {
		slices.Sort(d)
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	for b.Loop() {
		b.StopTimer()
		past := time.Now().UTC().Add(-time.Hour)
		prefs := `{"Language":"en","Timezone":"UTC","Theme":"system","NotifyEmail":true,"NotifyInApp":true,"NotifySecurity":true}`
		run := uuid.NewString()[:8]
		insertRows(b, st, "users", []string{"id", "email", "status", "deleted_at", "purge_after", "preferences", "created_at", "updated_at"},
			n, func(i int) []any {
				return []any{uuid.NewString(), fmt.Sprintf("p%s-%d@example.com", run, i), "deleted", past, past, prefs, past, past}
			})
		var idle []time.Duration
		for range 300 {
			idle = append(idle, login())
			time.Sleep(20 * time.Millisecond)
		}
		b.StartTimer()
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			purged, err := m.GDPR().Purge(ctx)
			if err == nil && purged != n {
				err = fmt.Errorf("purged %d, want %d", purged, n)
			}
			done <- err
		}()
		// Sign-ins at a steady pace (50 a second), as traffic would come,
		// rather than as fast as possible.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var busy []time.Duration
	loop:
		for {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				break loop
			case <-tick.C:
				busy = append(busy, login())
			}
		}
		took := time.Since(start)
		b.ReportMetric(took.Seconds(), "s/purge")
		b.ReportMetric(float64(took.Microseconds())/float64(n), "µs/account")
		b.ReportMetric(p(idle, 0.5), "ms-login-p50-idle")
		b.ReportMetric(p(idle, 0.99), "ms-login-p99-idle")
		b.ReportMetric(p(busy, 0.5), "ms-login-p50-purging")
		b.ReportMetric(p(busy, 0.99), "ms-login-p99-purging")
		b.ReportMetric(float64(len(busy)), "logins-during")
	}
}
