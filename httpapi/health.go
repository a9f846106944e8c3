package httpapi

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/usermgmt/usermgmt/store"
)

// pingTimeout bounds the store check of /ready and /health/detailed so a
// dead database answers 503 within a second instead of hanging.
const pingTimeout = 800 * time.Millisecond

func (a *api) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
}

func (a *api) live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

func (a *api) ping(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	start := time.Now()
	err := a.cfg.Store.Ping(ctx)
	return time.Since(start), err
}

func (a *api) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, err := a.ping(r.Context()); err != nil {
		writeProblem(w, r, store.ErrStoreUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

type storeHealth struct {
	Status    string  `json:"status"`
	LatencyMs float64 `json:"latencyMs"`
}

type memoryHealth struct {
	AllocBytes uint64 `json:"allocBytes"`
	SysBytes   uint64 `json:"sysBytes"`
	Goroutines int    `json:"goroutines"`
}

type detailedHealth struct {
	Status        string       `json:"status"`
	Version       string       `json:"version"`
	UptimeSeconds int64        `json:"uptimeSeconds"`
	Store         storeHealth  `json:"store"`
	Memory        memoryHealth `json:"memory"`
}

func (a *api) healthDetailed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	latency, err := a.ping(r.Context())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := detailedHealth{
		Status:        "healthy",
		Version:       a.cfg.Version,
		UptimeSeconds: int64(a.now().Sub(a.started).Seconds()),
		Store:         storeHealth{Status: "up", LatencyMs: float64(latency.Microseconds()) / 1000},
		Memory:        memoryHealth{AllocBytes: ms.Alloc, SysBytes: ms.Sys, Goroutines: runtime.NumGoroutine()},
	}
	status := http.StatusOK
	if err != nil {
		out.Status, out.Store.Status, status = "unhealthy", "down", http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
}
