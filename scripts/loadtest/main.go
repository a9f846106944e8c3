// Command loadtest measures the hot paths of usermgmt on PostgreSQL, in
// one run and on one database, beside the anchors they are judged by:
//
//   - GET /api/v1/users/profile through the whole handler (bearer token,
//     session check, rate limiter, middleware) against a bare net/http
//     handler running the same single-row query through bun, and against
//     Ory Kratos's whoami (a constant: Kratos is not installed here);
//
//   - POST /api/v1/auth/refresh, each client spending its own token chain,
//     against pgbench running the refresh's SQL alone (pgbench.go);
//
//   - how long a session revoked on one instance is still accepted by a
//     second instance on the same database (median and max).
//
//     ./scripts/test.sh --run go run ./scripts/loadtest   # throwaway PostgreSQL
//     DATABASE_URL=postgres://... go run ./scripts/loadtest
//
// The servers, the load generator and PostgreSQL share this machine's
// cores, so the absolute numbers are low; the ratios are what it reports.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// kratosWhoami is Ory Kratos's whoami on this kind of machine (issue 13):
// Kratos is not installed here, so its figure is the constant anchor.
const kratosWhoami = 1182

const password = "load test password 1"

type options struct {
	dur         time.Duration
	conc        int
	rounds      int
	revocations int
}

func main() {
	var o options
	flag.DurationVar(&o.dur, "d", 10*time.Second, "measuring time per round and target")
	flag.IntVar(&o.conc, "c", 8, "concurrent connections (and pgbench clients)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds (each measures every target, in rotating order)")
	flag.IntVar(&o.revocations, "revocations", 100, "cross-instance revocations to time (0: none)")
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
	if err := run(context.Background(), o); err != nil {
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

// newManager opens one instance of the library on url.
func newManager(ctx context.Context, url string) (*usermgmt.Manager, error) {
	st, err := bunstore.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	quiet := notify.MailerFunc(func(context.Context, notify.Message) error { return nil })
	m, err := usermgmt.New(st, usermgmt.WithHasher(auth.Bcrypt{Cost: 10}), usermgmt.WithMailer(quiet),
		// The limiter stays on the path, with a limit this one client never reaches.
		usermgmt.WithRateLimit(1<<30))
	if err != nil {
		return nil, err
	}
	return m, m.Migrate(ctx)
}

func run(ctx context.Context, o options) error {
	url, err := dsn()
	if err != nil {
		return err
	}
	m, err := newManager(ctx, url)
	if err != nil {
		return err
	}
	defer m.Close()
	email := fmt.Sprintf("load-%d@example.com", time.Now().UnixNano())
	u, err := m.Auth().Register(ctx, auth.Registration{Email: email, Password: password})
	if err != nil {
		return err
	}
	chains := make([]string, o.conc)
	var first *auth.TokenPair
	for i := range chains {
		res, err := m.Auth().Login(ctx, auth.Credentials{Identifier: email, Password: password})
		if err != nil {
			return err
		}
		chains[i], first = res.Tokens.RefreshToken, res.Tokens
	}
	// Enough tokens for 8,000 refreshes a second in every round.
	perClient := int(float64(o.rounds)*o.dur.Seconds()*8_000) / o.conc
	if err := seedPgbench(ctx, m.Store().(*bunstore.Store).DB(), first.SessionID, u.ID, o.conc, perClient); err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", m.Handler()))
	full, err := serve(mux)
	if err != nil {
		return err
	}
	st := m.Store()
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
	targets := []target{
		{"bare", getWorker(bare+"/profile", "")},
		{"profile", getWorker(full+"/api/v1/users/profile", first.AccessToken)},
		{"refresh", refreshWorker(full+"/api/v1/auth/refresh", chains)},
	}
	if err := rounds(o, url, first.SessionID, u.ID, targets, perClient); err != nil {
		return err
	}
	if o.revocations == 0 {
		return nil
	}
	b, err := newManager(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	med, worst, err := revocations(ctx, m, b, email, password, o.revocations)
	if err != nil {
		return err
	}
	fmt.Printf("cross-instance revocation over %d sessions: median %s, max %s (goal: milliseconds; bound: the 5 s staleness)\n",
		o.revocations, med.Round(10*time.Microsecond), worst.Round(10*time.Microsecond))
	return nil
}

type target struct {
	name string
	work func(int) worker
}

// rounds measures every HTTP target and pgbench in each round, rotating
// the order so that drift on a shared machine (checkpoints, other
// processes) hits every side of each ratio alike; the medians are the
// result.
func rounds(o options, url, sessionID, userID string, targets []target, perClient int) error {
	fmt.Printf("%d connections, %s per measurement, %d rounds\n", o.conc, o.dur, o.rounds)
	var profile, bare, refresh, pgb, rBare, rRefresh, p99 []float64
	const steps = 4
	for i := 0; i < o.rounds; i++ {
		got := map[string]result{}
		for k := 0; k < steps; k++ {
			j := (i + k) % steps
			if j == steps-1 {
				tps, err := pgbench(url, sessionID, userID, o.conc, o.dur, i*perClient/o.rounds)
				if err != nil {
					return err
				}
				got["pgbench"] = result{rps: tps}
				continue
			}
			res, err := measure(targets[j].work, o.conc, o.dur)
			if err != nil {
				return fmt.Errorf("%s: %w", targets[j].name, err)
			}
			got[targets[j].name] = res
		}
		pr, br, rr, pg := got["profile"], got["bare"], got["refresh"], got["pgbench"]
		profile, bare, refresh, pgb = append(profile, pr.rps), append(bare, br.rps), append(refresh, rr.rps), append(pgb, pg.rps)
		rBare, rRefresh = append(rBare, pr.rps/br.rps), append(rRefresh, rr.rps/pg.rps)
		p99 = append(p99, float64(pr.p99.Microseconds())/1000)
		fmt.Printf("  round %d: profile %6.0f/s (p50 %s, p99 %s), bare %6.0f/s, refresh %6.0f/s (p99 %s), pgbench %6.0f/s\n",
			i+1, pr.rps, pr.p50.Round(time.Microsecond), pr.p99.Round(time.Microsecond), br.rps,
			rr.rps, rr.p99.Round(time.Microsecond), pg.rps)
	}
	fmt.Printf("median: profile %.0f/s, bare %.0f/s, refresh %.0f/s, pgbench %.0f/s, profile p99 %.2f ms (goal < 5)\n",
		median(profile), median(bare), median(refresh), median(pgb), median(p99))
	fmt.Printf("  profile / Kratos whoami (%d/s, constant) %.1f (goal >= 5, aim 10+)\n", kratosWhoami, median(profile)/kratosWhoami)
	fmt.Printf("  profile / bare bun handler          %.2f (goal >= 0.8, aim > 1)\n", median(rBare))
	fmt.Printf("  refresh / pgbench of its SQL        %.2f (goal >= 0.9)\n", median(rRefresh))
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
