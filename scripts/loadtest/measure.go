package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measurement of one target.
type result struct {
	rps float64
	p50 time.Duration
	p99 time.Duration
}

// worker sends one request on client and reports its success. Each load
// goroutine has its own worker, so a refresh chain stays with its client.
type worker func(client *http.Client) error

// getWorker returns workers that GET url with the bearer token, if any.
func getWorker(url, token string) func(int) worker {
	return func(int) worker {
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return func(client *http.Client) error {
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", res.StatusCode)
			}
			return nil
		}
	}
}

// refreshWorker returns workers that each spend their own refresh token
// chain against url: every answer's refreshToken is the next request's,
// kept in tokens[i] for the next round.
func refreshWorker(url string, tokens []string) func(int) worker {
	return func(i int) worker {
		token := &tokens[i]
		return func(client *http.Client) error {
			body, _ := json.Marshal(map[string]string{"refreshToken": *token})
			res, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				return err
			}
			defer res.Body.Close()
			var out struct {
				RefreshToken string `json:"refreshToken"`
			}
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d (%v)", res.StatusCode, err)
			}
			*token = out.RefreshToken
			return nil
		}
	}
}

// measure runs conc keep-alive clients, each with its own worker, for a
// short warm-up and then dur, and returns the successful requests per
// second and their latency percentiles. Any failure is an error: a rate
// of failures would mean nothing.
func measure(newWorker func(int) worker, conc int, dur time.Duration) (result, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	defer client.CloseIdleConnections()
	var counting atomic.Bool
	var failure atomic.Value
	stop := make(chan struct{})
	lat := make([][]time.Duration, conc)
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			do := newWorker(i)
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				if err := do(client); err != nil {
					failure.Store(err)
					return
				}
				if counting.Load() {
					lat[i] = append(lat[i], time.Since(start))
				}
			}
		}(i)
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
		return result{}, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return result{}, fmt.Errorf("no request completed")
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return result{rps: float64(len(all)) / elapsed.Seconds(), p50: all[len(all)/2], p99: all[len(all)*99/100]}, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
