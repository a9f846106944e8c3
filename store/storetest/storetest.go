package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

// Run runs the conformance suite against the stores newStore returns. Each
// case calls newStore(t) with its own subtest, and expects a fresh store:
// migrated, with the built-in roles and no other data. newStore should
// register the store's cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					st := newStore(t)
					require.NotNil(t, st, "newStore returned nil")
					c.fn(t, st)
				})
			}
		})
	}
}

// group is the cases of one aggregate.
type group struct {
	name  string
	cases []testCase
}

type testCase struct {
	name string
	fn   func(t *testing.T, st store.Store)
}

func groups() []group {
	return []group{
		{"Users", userCases()},
		{"UserList", userListCases()},
		{"Roles", roleCases()},
		{"Sessions", sessionCases()},
		{"RefreshTokens", refreshTokenCases()},
		{"OneTimeTokens", oneTimeTokenCases()},
		{"Lockout", lockoutCases()},
		{"TwoFactor", twoFactorCases()},
		{"Audit", auditCases()},
		{"AuditReport", auditReportCases()},
		{"Devices", deviceCases()},
		{"Notifications", notificationCases()},
		{"SigningKeys", signingKeyCases()},
		{"Avatars", avatarCases()},
		{"RateLimits", rateLimitCases()},
		{"Erasure", erasureCases()},
		{"Store", storeCases()},
		{"Changes", changeCases()},
		{"Events", eventCases()},
		{"Bulk", bulkCases()},
		{"UserStats", userStatsCases()},
	}
}

// base is the fixed clock of the suite. It lies in the future so that
// nothing a store fills in from its own clock can be mistaken for it.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// zone is a zone east of UTC: times given in it must compare as instants,
// not as wall clocks (SQLite keeps times as text).
var zone = time.FixedZone("UTC+9", 9*3600)

// missingID is a well-formed UUID that names no row.
const missingID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

// badID is not a UUID; it must name no row rather than fail.
const badID = "nope"

// ctx returns the context of the test.
func ctx(t *testing.T) context.Context { return t.Context() }

// norm is t as both databases keep it: UTC, whole microseconds.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := norm(*t)
	return &n
}

func ptr[T any](v T) *T { return &v }

// sameTime asserts that got is want at microsecond precision, in any zone.
func sameTime(t *testing.T, want, got time.Time, msgAndArgs ...any) bool {
	t.Helper()
	return assert.WithinDuration(t, norm(want), got, 0, msgAndArgs...)
}

// sameTimePtr is sameTime for optional times.
func sameTimePtr(t *testing.T, want, got *time.Time, msgAndArgs ...any) bool {
	t.Helper()
	if want == nil || got == nil {
		return assert.Equal(t, want, got, msgAndArgs...)
	}
	return sameTime(t, *want, *got, msgAndArgs...)
}

// isErr asserts that err matches target with errors.Is.
func isErr(t *testing.T, err, target error, msgAndArgs ...any) bool {
	t.Helper()
	if err == nil {
		return assert.Fail(t, fmt.Sprintf("want an error matching %v, got nil", target), msgAndArgs...)
	}
	return assert.ErrorIs(t, err, target, msgAndArgs...)
}

// newUser creates an active user whose email and username derive from name.
func newUser(t *testing.T, st store.Repos, name string) *store.User {
	t.Helper()
	u := &store.User{
		Email:        name + "@example.com",
		Username:     name,
		PasswordHash: "$2a$12$" + name,
		Status:       store.StatusActive,
		Visibility:   store.VisibilityPublic,
		Preferences:  store.DefaultPreferences(),
		CreatedAt:    base,
		UpdatedAt:    base,
	}
	require.NoError(t, st.Users().Create(ctx(t), u))
	require.NotEmpty(t, u.ID)
	return u
}

// newSession creates a session of the user that lives from created for
// ttl.
func newSession(t *testing.T, st store.Repos, userID string, created time.Time, ttl time.Duration) *store.Session {
	t.Helper()
	s := &store.Session{
		UserID:     userID,
		DeviceName: "laptop",
		IP:         "192.0.2.1",
		UserAgent:  "test-agent",
		CreatedAt:  created,
		LastSeenAt: created,
		ExpiresAt:  created.Add(ttl),
	}
	require.NoError(t, st.Sessions().Create(ctx(t), s))
	require.NotEmpty(t, s.ID)
	return s
}

// parallel runs fn n times at once, released together, and returns the
// errors in call order.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts nil errors and errors matching expected, and fails the test
// on any other error (such as SQLite's "database is locked").
func tally(t *testing.T, errs []error, expected error) (ok, refused int) {
	t.Helper()
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case expected != nil && errors.Is(err, expected):
			refused++
		default:
			assert.Failf(t, "unexpected error", "call %d: %v", i, err)
		}
	}
	return ok, refused
}

// caseVariants returns s in several letter cases.
func caseVariants(s string) []string {
	return []string{s, strings.ToUpper(s), strings.ToUpper(s[:1]) + s[1:]}
}
