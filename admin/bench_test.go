package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// The benchmarks at scale run against a database that scripts/datagen
// loaded, and are skipped unless USERMGMT_BENCH_ADMIN_DSN names it:
//
//	go run ./scripts/datagen -dsn postgres://... -n 1000000
//	USERMGMT_BENCH_ADMIN_DSN=postgres://... go test -run '^$' -bench Admin -benchtime 3x ./admin/
//
// Export and import run in a child process (this test binary again) that
// serves the API on a loopback server and reports its peak RSS (VmHWM),
// so that nothing the benchmark itself holds is counted.
const (
	envBenchDSN   = "USERMGMT_BENCH_ADMIN_DSN"
	envBenchChild = "USERMGMT_BENCH_ADMIN_CHILD"
)

func benchStore(tb testing.TB) *bunstore.Store {
	tb.Helper()
	dsn := os.Getenv(envBenchDSN)
	if dsn == "" {
		tb.Skip("set " + envBenchDSN + " to a database loaded by scripts/datagen")
	}
	st, err := bunstore.Open(context.Background(), dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() { st.Close() })
	require.NoError(tb, st.Migrate(context.Background()))
	return st
}

func benchManager(tb testing.TB, st store.Store, statsTTL time.Duration) *usermgmt.Manager {
	tb.Helper()
	m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 4}), usermgmt.WithRateLimit(0),
		usermgmt.WithAdminStatsTTL(statsTTL), usermgmt.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(tb, err)
	tb.Cleanup(func() { m.Close() })
	return m
}

var system = store.NewContextWithActor(context.Background(), store.SystemActor)

// childReport runs the child mode and returns what it printed as KEY=VALUE.
func childReport(b *testing.B, mode string) map[string]float64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAdminBenchChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envBenchChild+"="+mode)
	out, err := cmd.CombinedOutput()
	require.NoError(b, err, "%s", out)
	rep := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && strings.HasPrefix(k, "BENCH_") {
			rep[k], _ = strconv.ParseFloat(v, 64)
		}
	}
	require.Contains(b, rep, "BENCH_SECONDS", "%s", out)
	return rep
}

// BenchmarkAdminExportCSV exports every user as CSV over HTTP. Goals:
// at least 100,000 rows/s, peak RSS of the server at most 64 MiB.
func BenchmarkAdminExportCSV(b *testing.B) {
	benchStore(b)
	for b.Loop() {
		rep := childReport(b, "export")
		b.ReportMetric(rep["BENCH_ROWS"]/rep["BENCH_SECONDS"], "rows/s")
		b.ReportMetric(rep["BENCH_HWM_KB"]/1024, "peakRSS_MiB")
		b.ReportMetric(rep["BENCH_ROWS"], "rows")
	}
}

// BenchmarkAdminImport100k imports 100,000 rows with bcrypt hashes over
// HTTP (then deletes them). Goal: at most 20 s, RSS bounded.
func BenchmarkAdminImport100k(b *testing.B) {
	st := benchStore(b)
	for b.Loop() {
		rep := childReport(b, "import")
		b.ReportMetric(rep["BENCH_SECONDS"], "s/import")
		b.ReportMetric(rep["BENCH_HWM_KB"]/1024, "peakRSS_MiB")
		b.ReportMetric(rep["BENCH_CREATED"], "created")
		_, err := st.DB().ExecContext(context.Background(), "DELETE FROM users WHERE email LIKE 'bench-import-%'")
		require.NoError(b, err)
	}
}

// TestAdminBenchChild is the child process of the export and import
// benchmarks; it does nothing in a normal test run.
func TestAdminBenchChild(t *testing.T) {
	mode := os.Getenv(envBenchChild)
	if mode == "" {
		t.Skip("the child of BenchmarkAdminExportCSV and BenchmarkAdminImport100k")
	}
	st := benchStore(t)
	m := benchManager(t, st, time.Second)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	token := benchAdminToken(t, m)
	start := time.Now()
	var counts string
	switch mode {
	case "export":
		counts = benchExport(t, srv.URL, token)
	case "import":
		counts = benchImport(t, srv.URL, token)
	}
	fmt.Printf("BENCH_SECONDS=%f\n%sBENCH_HWM_KB=%d\n", time.Since(start).Seconds(), counts, vmHWM(t))
}

func benchAdminToken(t *testing.T, m *usermgmt.Manager) string {
	const email, pw = "bench-admin@example.com", "violet-harbour-lantern-42"
	require.NoError(t, m.Auth().EnsureAdmin(context.Background(), email, pw))
	res, err := m.Auth().Login(context.Background(), auth.Credentials{Identifier: email, Password: pw})
	require.NoError(t, err)
	return res.Tokens.AccessToken
}

func benchExport(t *testing.T, base, token string) string {
	req, err := http.NewRequest("GET", base+"/admin/users/export?format=csv", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	rows, err := countLines(res.Body)
	require.NoError(t, err)
	return fmt.Sprintf("BENCH_ROWS=%d\n", rows-1)
}

func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte("\n")) // no cell of the data holds a line break
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// benchImport streams 100,000 generated rows as a multipart upload.
func benchImport(t *testing.T, base, token string) string {
	hash, err := bcrypt.GenerateFromPassword([]byte("imported-password-1"), 10)
	require.NoError(t, err)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", "users.csv")
		if err == nil {
			w := bufio.NewWriter(fw)
			fmt.Fprintln(w, "email,firstName,lastName,password")
			for i := range 100000 {
				fmt.Fprintf(w, "bench-import-%d@example.com,Imported,User %d,%s\n", i, i, hash)
			}
			err = w.Flush()
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", base+"/admin/users/import", pr)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	var created int
	_, _ = fmt.Sscanf(string(body), `{"created":%d`, &created)
	return fmt.Sprintf("BENCH_CREATED=%d\n", created)
}

// vmHWM is the peak resident set size of this process, in KiB.
func vmHWM(t *testing.T) int {
	data, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// BenchmarkAdminBulkAssignRole10k gives a fresh role to 10,000 users.
// Goal: at most 2 s.
func BenchmarkAdminBulkAssignRole10k(b *testing.B) {
	st := benchStore(b)
	m := benchManager(b, st, time.Second)
	ctx := context.Background()
	var ids []string
	stop := errors.New("enough")
	err := st.Bulk().EachUser(ctx, store.UserFilter{}, func(u *store.UserSummary) error {
		ids = append(ids, u.ID)
		if len(ids) == 10000 {
			return stop
		}
		return nil
	})
	require.ErrorIs(b, err, stop)
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		role := &store.Role{Name: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), CreatedAt: time.Now(), UpdatedAt: time.Now()}
		require.NoError(b, st.Roles().Create(ctx, role))
		b.StartTimer()
		res, err := m.Admin().BulkAssignRole(system, ids, role.ID)
		b.StopTimer()
		require.NoError(b, err)
		require.Equal(b, 10000, res.Succeeded)
		_, err = st.DB().ExecContext(ctx, "DELETE FROM user_roles WHERE role_id = ?", role.ID)
		require.NoError(b, err)
		require.NoError(b, st.Roles().Delete(ctx, role.ID))
		b.StartTimer()
	}
}

// BenchmarkAdminDashboard counts the dashboard as a cache refresh does.
// Goal: at most 50 ms.
func BenchmarkAdminDashboard(b *testing.B) {
	st := benchStore(b)
	m := benchManager(b, st, time.Hour)
	for b.Loop() {
		_, err := m.Admin().CountDashboard(system)
		require.NoError(b, err)
	}
}

// BenchmarkAdminUserStats computes the statistics of the default window
// as a cache refresh does. Goal: at most 50 ms.
func BenchmarkAdminUserStats(b *testing.B) {
	st := benchStore(b)
	m := benchManager(b, st, time.Hour)
	for b.Loop() {
		_, err := m.Admin().CountStats(system)
		require.NoError(b, err)
	}
}

// BenchmarkAdminDashboardCached is what a request costs once the counts
// are in memory (also past the TTL: a refresh runs in the background).
func BenchmarkAdminDashboardCached(b *testing.B) {
	st := benchStore(b)
	m := benchManager(b, st, time.Hour)
	_, err := m.Admin().Dashboard(system)
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		_, err := m.Admin().Dashboard(system)
		require.NoError(b, err)
	}
}

// BenchmarkAdminUserStatsCached is what GET /admin/users/stats costs for
// the default window once it is in memory.
func BenchmarkAdminUserStatsCached(b *testing.B) {
	st := benchStore(b)
	m := benchManager(b, st, time.Hour)
	_, err := m.Admin().Stats(system, time.Time{}, time.Time{})
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		_, err := m.Admin().Stats(system, time.Time{}, time.Time{})
		require.NoError(b, err)
	}
}
