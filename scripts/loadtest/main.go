// Command loadtest measures GET /api/v1/users/profile through the whole
// usermgmt handler (bearer token, session check, rate limiter, middleware)
// against a bare net/http handler that runs the same single-row query
// through bun on the same PostgreSQL, in one run, and prints the ratio.
//
//	./scripts/test.sh --run go run ./scripts/loadtest   # throwaway PostgreSQL
//	DATABASE_URL=postgres://... go run ./scripts/loadtest
//
// Both servers and the load generator share this machine's cores, so the
// absolute numbers are low; the ratio is what it reports on.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func main() {
	dur := flag.Duration("d", 2*time.Second, "measuring time per round and target")
	conc := flag.Int("c", 32, "concurrent connections")
	rounds := flag.Int("rounds", 9, "rounds (each measures both targets, back to back)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*dur, *conc, *rounds); err != nil {
		log.Fatal(err)
	}
}

func dsn() (string, error) {
	for _, k := range []string{"DATABASE_URL", "USERMGMT_TEST_POSTGRES_DSN"} {
		if v := os.Getenv(k); strings.HasPrefix(v, "postgres") {
			return v, nil
		}
	}
	return "", fmt.Errorf("set DATABASE_URL to a postgres:// URL, or run through ./scripts/test.sh --run")
}

func run(dur time.Duration, conc, rounds int) error {
	ctx := context.Background()
	url, err := dsn()
	if err != nil {
		return err
	}
	st, err := bunstore.Open(ctx, url)
	if err != nil {
		return err
	}
	quiet := notify.MailerFunc(func(context.Context, notify.Message) error { return nil })
	m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 10}), usermgmt.WithMailer(quiet),
		// The limiter stays on the path, with a limit this one client never reaches.
		usermgmt.WithRateLimit(1<<30))
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Migrate(ctx); err != nil {
		return err
	}
	email := fmt.Sprintf("load-%d@example.com", time.Now().UnixNano())
	u, err := m.Auth().Register(ctx, auth.Registration{Email: email, Password: "load test password 1"})
	if err != nil {
		return err
	}
	res, err := m.Auth().Login(ctx, auth.Credentials{Identifier: email, Password: "load test password 1"})
	if err != nil {
		return err
	}
	token := res.Tokens.AccessToken

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", m.Handler()))
	full, err := serve(mux)
	if err != nil {
		return err
	}
	bare, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := st.Users().ByID(r.Context(), u.ID)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		// The same row, encoded whole: the comparison is the library's
		// overhead, not the size of the answer.
		w.Header().Set("Content-Type", "application/json")
		u.PasswordHash = ""
		_ = json.NewEncoder(w).Encode(u)
	}))
	if err != nil {
		return err
	}

	targets := []struct{ name, url, token string }{
		{"bare handler", bare + "/profile", ""},
		{"usermgmt", full + "/api/v1/users/profile", token},
	}
	// Short rounds, both targets back to back and in alternating order, so
	// that drift on a shared machine (checkpoints, other processes) hits
	// both sides of each ratio alike; the median ratio is the result.
	var bareRPS, fullRPS, ratios []float64
	fmt.Printf("GET profile, %d connections, %s per measurement, %d rounds\n", conc, dur, rounds)
	for i := 0; i < rounds; i++ {
		order := targets
		if i%2 == 1 {
			order = []struct{ name, url, token string }{targets[1], targets[0]}
		}
		got := map[string]float64{}
		for _, t := range order {
			rps, err := measure(t.url, t.token, conc, dur)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			got[t.name] = rps
		}
		b, f := got["bare handler"], got["usermgmt"]
		bareRPS, fullRPS, ratios = append(bareRPS, b), append(fullRPS, f), append(ratios, f/b)
		fmt.Printf("  round %d: bare %6.0f req/s, usermgmt %6.0f req/s, ratio %.2f\n", i+1, b, f, f/b)
	}
	fmt.Printf("median: bare %.0f req/s, usermgmt %.0f req/s, ratio %.2f (goal >= 0.80)\n",
		median(bareRPS), median(fullRPS), median(ratios))
	return nil
}

func serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = http.Serve(ln, h) }()
	return "http://" + ln.Addr().String(), nil
}

// measure runs conc keep-alive clients against url for a short warm-up
// and then dur, and returns successful requests per second. Any answer but
// 200 is an error: a ratio of failures would mean nothing.
func measure(url, token string, conc int, dur time.Duration) (float64, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	defer client.CloseIdleConnections()
	var count atomic.Int64
	var counting atomic.Bool
	var failure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", url, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := client.Do(req)
				if err != nil {
					failure.Store(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failure.Store(fmt.Errorf("status %d", res.StatusCode))
					return
				}
				if counting.Load() {
					count.Add(1)
				}
			}
		}()
	}
	time.Sleep(dur / 4) // warm-up: connections open, caches filled
	counting.Store(true)
	start := time.Now()
	time.Sleep(dur)
	counting.Store(false)
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if err, ok := failure.Load().(error); ok {
		return 0, err
	}
	return float64(count.Load()) / elapsed.Seconds(), nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
