package usermgmt_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt"
	"github.com/usermgmt/usermgmt/httpapi"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

// TestE2ERaces sends parallel requests that compete for one row, on
// SQLite and PostgreSQL.
func TestE2ERaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newE2E(t, st, usermgmt.WithRateLimits(httpapi.Limits{}))
		ctx := context.Background()
		var verifyLink string

		t.Run("Register", func(t *testing.T) {
			spellings := []string{"race@example.com", "Race@Example.com", "RACE@EXAMPLE.COM", " race@example.com "}
			rs := e2eParallel(t, 20, func(i int) (*e2eResp, error) {
				return e.send("POST", "/auth/register", map[string]any{"email": spellings[i%len(spellings)], "password": e2ePassword})
			})
			assert.Equal(t, map[int]int{201: 1, 409: 19}, e2eStatuses(rs))
			for _, r := range rs {
				if r.Status != http.StatusCreated {
					e2eCheckProblem(t, r, 409, "EMAIL_TAKEN")
				}
			}
			_, verifyLink = e.linkToken(t, e.mail.next(t, "race@example.com", "Confirm your email address", 10*time.Second))
			time.Sleep(100 * time.Millisecond)
			assert.Equal(t, 1, e.mail.to("race@example.com"), "one verification mail")
		})

		t.Run("Refresh", func(t *testing.T) {
			tk := e.login(t, "race@example.com", e2ePassword)
			rs := e2eParallel(t, 10, func(int) (*e2eResp, error) {
				return e.send("POST", "/auth/refresh", map[string]any{"refreshToken": tk.RefreshToken})
			})
			assert.Equal(t, map[int]int{200: 1, 401: 9}, e2eStatuses(rs))
			for _, r := range rs {
				if r.Status != http.StatusOK {
					e2eCheckProblem(t, r, 401, "INVALID_REFRESH_TOKEN")
				}
			}
		})

		t.Run("VerifyEmail", func(t *testing.T) {
			require.NotEmpty(t, verifyLink)
			rs := e2eParallel(t, 10, func(int) (*e2eResp, error) { return e.send("GET", verifyLink, nil) })
			assert.Equal(t, map[int]int{200: 1, 400: 9}, e2eStatuses(rs))
			for _, r := range rs {
				if r.Status != http.StatusOK {
					e2eCheckProblem(t, r, 400, "INVALID_TOKEN")
				}
			}
		})

		t.Run("ResetPassword", func(t *testing.T) {
			const addr = "reset-race@example.com"
			e.register(t, addr)
			require.Equal(t, http.StatusAccepted, e.post(t, "/auth/forgot-password", map[string]any{"email": addr}).Status)
			token, _ := e.linkToken(t, e.mail.next(t, addr, "Reset your password", 10*time.Second))
			rs := e2eParallel(t, 10, func(i int) (*e2eResp, error) {
				return e.send("POST", "/auth/reset-password", map[string]any{"token": token, "newPassword": "parallel-reset-pass-" + strconv.Itoa(i)})
			})
			assert.Equal(t, map[int]int{200: 1, 400: 9}, e2eStatuses(rs))
			winner := -1
			for i, r := range rs {
				if r.Status == http.StatusOK {
					winner = i
				} else {
					e2eCheckProblem(t, r, 400, "INVALID_TOKEN")
				}
			}
			// The password is the winner's, not a loser's (four losers: a
			// fifth failure would lock the account).
			require.GreaterOrEqual(t, winner, 0)
			e.login(t, addr, "parallel-reset-pass-"+strconv.Itoa(winner))
			for i, checked := 0, 0; i < len(rs) && checked < 4; i++ {
				if i == winner {
					continue
				}
				checked++
				r := e.post(t, "/auth/login", map[string]any{"identifier": addr, "password": "parallel-reset-pass-" + strconv.Itoa(i)})
				e2eCheckProblem(t, r, 401, "INVALID_CREDENTIALS")
			}
		})

		t.Run("WrongPasswords", func(t *testing.T) {
			const ident = "race@example.com"
			rs := e2eParallel(t, 20, func(i int) (*e2eResp, error) {
				return e.send("POST", "/auth/login", map[string]any{"identifier": ident, "password": "wrong-password-" + strconv.Itoa(i)})
			})
			statuses := e2eStatuses(rs)
			assert.Zero(t, statuses[500], "no 500")
			assert.Equal(t, 20, statuses[401]+statuses[423], "only 401 and 423: %v", statuses)
			f, err := e.m.Store().Lockout().Failures(ctx, ident)
			require.NoError(t, err)
			assert.Equal(t, 20, f.Count, "every attempt counted: %v", statuses)
			require.NotNil(t, f.LockedUntil, "locked")
			assert.True(t, f.LockedUntil.After(e.clock.Now()))
			// Parallel attempts get no more guesses than the threshold.
			assert.LessOrEqual(t, statuses[401], 5, "password checks: %v", statuses)
			e2eCheckProblem(t, e.post(t, "/auth/login", map[string]any{"identifier": ident, "password": e2ePassword}), 423, "ACCOUNT_LOCKED")
		})

		t.Run("WrongPasswordsEachCount", func(t *testing.T) {
			// A second instance on the same store, with a threshold of 20:
			// no attempt is past the threshold, so all 20 are checked,
			// answered 401 and counted, and the twentieth locks.
			e2 := newE2E(t, st, usermgmt.WithRateLimits(httpapi.Limits{}),
				usermgmt.WithLockout(store.LockoutPolicy{Threshold: 20, Window: 15 * time.Minute, LockFor: 15 * time.Minute}))
			const ident = "Nobody-At-All@Example.com"
			rs := e2eParallel(t, 20, func(i int) (*e2eResp, error) {
				return e2.send("POST", "/auth/login", map[string]any{"identifier": ident, "password": "wrong-password-" + strconv.Itoa(i)})
			})
			assert.Equal(t, map[int]int{401: 20}, e2eStatuses(rs))
			f, err := e2.m.Store().Lockout().Failures(ctx, strings.ToLower(ident))
			require.NoError(t, err)
			assert.Equal(t, 20, f.Count)
			assert.NotNil(t, f.LockedUntil, "locked")
			e2eCheckProblem(t, e2.post(t, "/auth/login", map[string]any{"identifier": ident, "password": e2ePassword}), 423, "ACCOUNT_LOCKED")
		})
	})
}
