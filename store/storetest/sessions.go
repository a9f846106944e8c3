package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func sessionCases() []testCase {
	return []testCase{
		{"CreateAndGet", testSessionCreateAndGet},
		{"CreateUnknownUser", testSessionCreateUnknownUser},
		{"NotFound", testSessionNotFound},
		{"List", testSessionListByUser},
		{"ListPaging", testSessionListPaging},
		{"Touch", testSessionTouch},
		{"MarkMFAVerified", testSessionMarkMFAVerified},
		{"RevokeIdempotent", testSessionRevoke},
		{"RevokeByUser", testSessionRevokeByUser},
		{"DeleteStale", testSessionDeleteStale},
	}
}

func normSession(s store.Session) store.Session {
	s.CreatedAt = norm(s.CreatedAt)
	s.LastSeenAt = norm(s.LastSeenAt)
	s.ExpiresAt = norm(s.ExpiresAt)
	s.RevokedAt = normPtr(s.RevokedAt)
	s.MFAVerifiedAt = normPtr(s.MFAVerifiedAt)
	return s
}

func testSessionCreateAndGet(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	admin := newUser(t, st, "root")
	s := &store.Session{
		UserID:          u.ID,
		DeviceName:      "Ada's phone",
		IP:              "2001:db8::1",
		UserAgent:       "Mozilla/5.0",
		FingerprintHash: "fp-hash",
		ImpersonatorID:  admin.ID,
		CreatedAt:       base.Add(7 * time.Microsecond),
		LastSeenAt:      base.Add(time.Minute),
		ExpiresAt:       base.Add(30 * 24 * time.Hour).In(zone),
		MFAVerifiedAt:   ptr(base.Add(time.Second)),
	}
	require.NoError(t, st.Sessions().Create(ctx(t), s))
	_, err := uuid.Parse(s.ID)
	assert.NoError(t, err, "Create assigns a UUID")

	got, err := st.Sessions().ByID(ctx(t), s.ID)
	require.NoError(t, err)
	assert.Equal(t, normSession(*s), normSession(*got))
	assert.True(t, got.Active(base.Add(time.Hour)))

	// LastSeenAt defaults to CreatedAt.
	m := &store.Session{UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	require.NoError(t, st.Sessions().Create(ctx(t), m))
	got, err = st.Sessions().ByID(ctx(t), m.ID)
	require.NoError(t, err)
	sameTime(t, base, got.LastSeenAt)
	assert.Empty(t, got.FingerprintHash)
	assert.Empty(t, got.ImpersonatorID)
	assert.Nil(t, got.RevokedAt)
	assert.Nil(t, got.MFAVerifiedAt)
}

func testSessionCreateUnknownUser(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		s := &store.Session{UserID: id, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		isErr(t, st.Sessions().Create(ctx(t), s), store.ErrUserNotFound, id)
	}
}

func testSessionNotFound(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID, ""} {
		_, err := st.Sessions().ByID(ctx(t), id)
		isErr(t, err, store.ErrSessionNotFound, "ByID(%q)", id)
		isErr(t, err, store.ErrNotFound, "ByID(%q)", id)
	}
	for _, id := range []string{missingID, badID} {
		isErr(t, st.Sessions().Touch(ctx(t), id, base, "192.0.2.9"), store.ErrSessionNotFound, "Touch(%q)", id)
		isErr(t, st.Sessions().MarkMFAVerified(ctx(t), id, base), store.ErrSessionNotFound, "MarkMFAVerified(%q)", id)
		isErr(t, st.Sessions().Revoke(ctx(t), id, base, "logout"), store.ErrSessionNotFound, "Revoke(%q)", id)
	}
}

func testSessionListByUser(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	now := base.Add(10 * time.Hour)

	var live []string
	for i := range 3 {
		s := newSession(t, st, u.ID, base.Add(time.Duration(i)*time.Hour), 24*time.Hour)
		live = append([]string{s.ID}, live...) // newest first
	}
	expired := newSession(t, st, u.ID, base.Add(5*time.Hour), time.Hour)
	exact := newSession(t, st, u.ID, base.Add(6*time.Hour), 4*time.Hour) // expires at now
	revoked := newSession(t, st, u.ID, base.Add(7*time.Hour), 24*time.Hour)
	require.NoError(t, st.Sessions().Revoke(ctx(t), revoked.ID, base.Add(8*time.Hour), "logout"))
	newSession(t, st, b.ID, base.Add(9*time.Hour), 24*time.Hour)

	got, err := listSessions(t, st, u.ID, now)
	require.NoError(t, err)
	ids := make([]string, len(got))
	for i, s := range got {
		ids[i] = s.ID
		assert.Equal(t, u.ID, s.UserID)
		assert.True(t, s.Active(now))
	}
	assert.Equal(t, live, ids, "live sessions, newest first")
	assert.NotContains(t, ids, expired.ID)
	assert.NotContains(t, ids, exact.ID, "a session expiring at now is over")
	assert.NotContains(t, ids, revoked.ID)

	got, err = listSessions(t, st, u.ID, base.Add(5*time.Hour+30*time.Minute))
	require.NoError(t, err)
	assert.Len(t, got, 5, "the expired one was live earlier; revoked stays out")
	got, err = listSessions(t, st, u.ID, now.In(zone))
	require.NoError(t, err)
	assert.Len(t, got, 3, "now in another zone is the same instant")

	for _, id := range []string{missingID, badID} {
		got, err := listSessions(t, st, id, now)
		require.NoError(t, err, id)
		assert.Empty(t, got, id)
	}
}

// listSessions returns every live session of the user at now, newest
// first.
func listSessions(t *testing.T, st store.Store, userID string, now time.Time) ([]store.Session, error) {
	t.Helper()
	p, err := st.Sessions().List(ctx(t), userID, now, store.ListRequest{Limit: store.MaxLimit})
	if err == nil {
		assert.Empty(t, p.NextCursor, "listSessions: more than one page")
	}
	return p.Items, err
}

func testSessionListPaging(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	now := base.Add(10 * time.Hour)
	// Created in pairs at the same instant, and seen in another order,
	// with ties there too.
	var live []*store.Session
	for i := range 7 {
		s := newSession(t, st, u.ID, base.Add(time.Duration(i/2)*time.Hour), 24*time.Hour)
		require.NoError(t, st.Sessions().Touch(ctx(t), s.ID, base.Add(time.Duration(9-i/3)*time.Hour), ""))
		s.LastSeenAt = base.Add(time.Duration(9-i/3) * time.Hour)
		live = append(live, s)
	}
	gone := newSession(t, st, u.ID, base.Add(time.Hour), 24*time.Hour)
	require.NoError(t, st.Sessions().Revoke(ctx(t), gone.ID, base.Add(2*time.Hour), "logout"))
	newSession(t, st, u.ID, base, time.Hour) // expired
	newSession(t, st, b.ID, base, 24*time.Hour)

	order := func(key func(*store.Session) time.Time) []string {
		ss := append([]*store.Session(nil), live...)
		sort.Slice(ss, func(i, j int) bool {
			if ki, kj := key(ss[i]), key(ss[j]); !ki.Equal(kj) {
				return ki.Before(kj)
			}
			return ss[i].ID < ss[j].ID
		})
		ids := make([]string, len(ss))
		for i, s := range ss {
			ids[i] = s.ID
		}
		return ids
	}
	byCreated := order(func(s *store.Session) time.Time { return s.CreatedAt })
	bySeen := order(func(s *store.Session) time.Time { return s.LastSeenAt })
	list := func(r store.ListRequest) (store.Page[store.Session], error) {
		return st.Sessions().List(ctx(t), u.ID, now, r)
	}
	id := func(s store.Session) string { return s.ID }
	listContract(t, list, id, store.Sort{Field: "createdAt", Desc: true}, reverse(byCreated))
	listContract(t, list, id, store.Sort{Field: "createdAt"}, byCreated)
	listContract(t, list, id, store.Sort{Field: "lastSeenAt", Desc: true}, reverse(bySeen))
	listContract(t, list, id, store.Sort{Field: "lastSeenAt"}, bySeen)
	got, _ := walk(t, list, store.ListRequest{Limit: 2})
	ids := make([]string, len(got))
	for i, s := range got {
		ids[i] = s.ID
	}
	assert.Equal(t, reverse(byCreated), ids, "newest created first by default; only live sessions of the user")
}

func testSessionTouch(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, time.Hour)
	other := newSession(t, st, u.ID, base, time.Hour)

	require.NoError(t, st.Sessions().Touch(ctx(t), s.ID, base.Add(time.Minute), "198.51.100.7"))
	got, err := st.Sessions().ByID(ctx(t), s.ID)
	require.NoError(t, err)
	sameTime(t, base.Add(time.Minute), got.LastSeenAt)
	assert.Equal(t, "198.51.100.7", got.IP)

	require.NoError(t, st.Sessions().Touch(ctx(t), s.ID, base.Add(2*time.Minute), ""))
	got, err = st.Sessions().ByID(ctx(t), s.ID)
	require.NoError(t, err)
	sameTime(t, base.Add(2*time.Minute), got.LastSeenAt)
	assert.Equal(t, "198.51.100.7", got.IP, "an empty IP keeps the old one")
	sameTime(t, base, got.CreatedAt)

	got, err = st.Sessions().ByID(ctx(t), other.ID)
	require.NoError(t, err)
	assert.Equal(t, normSession(*other), normSession(*got), "other sessions untouched")
}

func testSessionMarkMFAVerified(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, time.Hour)
	require.NoError(t, st.Sessions().MarkMFAVerified(ctx(t), s.ID, base.Add(time.Minute)))
	got, err := st.Sessions().ByID(ctx(t), s.ID)
	require.NoError(t, err)
	sameTimePtr(t, ptr(base.Add(time.Minute)), got.MFAVerifiedAt)

	require.NoError(t, st.Sessions().MarkMFAVerified(ctx(t), s.ID, base.Add(time.Hour)))
	got, err = st.Sessions().ByID(ctx(t), s.ID)
	require.NoError(t, err)
	sameTimePtr(t, ptr(base.Add(time.Hour)), got.MFAVerifiedAt, "a later step-up moves it")
}

func testSessionRevoke(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, time.Hour)
	other := newSession(t, st, u.ID, base, time.Hour)

	require.NoError(t, st.Sessions().Revoke(ctx(t), s.ID, base.Add(time.Minute), "logout"))
	got, err := st.Sessions().ByID(ctx(t), s.ID)
	require.NoError(t, err)
	sameTimePtr(t, ptr(base.Add(time.Minute)), got.RevokedAt)
	assert.Equal(t, "logout", got.RevokeReason)
	assert.False(t, got.Active(base.Add(2*time.Minute)))

	require.NoError(t, st.Sessions().Revoke(ctx(t), s.ID, base.Add(time.Hour), "admin"), "revoking twice is not an error")
	got, err = st.Sessions().ByID(ctx(t), s.ID)
	require.NoError(t, err)
	sameTimePtr(t, ptr(base.Add(time.Minute)), got.RevokedAt, "the first revocation stands")
	assert.Equal(t, "logout", got.RevokeReason, "the first reason stands")

	got, err = st.Sessions().ByID(ctx(t), other.ID)
	require.NoError(t, err)
	assert.Nil(t, got.RevokedAt, "other sessions untouched")
}

func testSessionRevokeByUser(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	at := base.Add(2 * time.Hour)

	current := newSession(t, st, u.ID, base, 24*time.Hour)
	var others []string
	for range 3 {
		others = append(others, newSession(t, st, u.ID, base, 24*time.Hour).ID)
	}
	expired := newSession(t, st, u.ID, base, time.Hour)
	revoked := newSession(t, st, u.ID, base, 24*time.Hour)
	require.NoError(t, st.Sessions().Revoke(ctx(t), revoked.ID, base.Add(time.Hour), "earlier"))
	bobs := newSession(t, st, b.ID, base, 24*time.Hour)

	n, err := st.Sessions().RevokeByUser(ctx(t), u.ID, current.ID, at, "password_changed")
	require.NoError(t, err)
	assert.Equal(t, 3, n, "only live sessions other than the current one count")

	for _, id := range others {
		got, err := st.Sessions().ByID(ctx(t), id)
		require.NoError(t, err)
		sameTimePtr(t, &at, got.RevokedAt)
		assert.Equal(t, "password_changed", got.RevokeReason)
	}
	got, err := st.Sessions().ByID(ctx(t), current.ID)
	require.NoError(t, err)
	assert.Nil(t, got.RevokedAt, "exceptID stays")
	got, err = st.Sessions().ByID(ctx(t), revoked.ID)
	require.NoError(t, err)
	sameTimePtr(t, ptr(base.Add(time.Hour)), got.RevokedAt, "an earlier revocation stands")
	assert.Equal(t, "earlier", got.RevokeReason)
	got, err = st.Sessions().ByID(ctx(t), expired.ID)
	require.NoError(t, err)
	assert.Nil(t, got.RevokedAt, "expired sessions are not counted")
	got, err = st.Sessions().ByID(ctx(t), bobs.ID)
	require.NoError(t, err)
	assert.Nil(t, got.RevokedAt, "other users untouched")

	n, err = st.Sessions().RevokeByUser(ctx(t), u.ID, current.ID, at, "again")
	require.NoError(t, err)
	assert.Zero(t, n)

	// An exceptID naming no session excepts nothing.
	n, err = st.Sessions().RevokeByUser(ctx(t), b.ID, badID, at, "logout_all")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "exceptID %q", badID)

	// An empty exceptID revokes every live session.
	n, err = st.Sessions().RevokeByUser(ctx(t), u.ID, "", at.Add(time.Minute), "logout_all")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	live, err := listSessions(t, st, u.ID, at.Add(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, live)

	for _, id := range []string{missingID, badID} {
		n, err := st.Sessions().RevokeByUser(ctx(t), id, "", at, "x")
		require.NoError(t, err, id)
		assert.Zero(t, n, id)
	}
}

func testSessionDeleteStale(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	cutoff := base.Add(10 * time.Hour)
	c := ctx(t)

	var stale []*store.Session
	for i := range 3 {
		stale = append(stale, newSession(t, st, u.ID, base.Add(time.Duration(i)*time.Hour), time.Hour)) // expired before cutoff
	}
	revokedOld := newSession(t, st, u.ID, base, 48*time.Hour)
	require.NoError(t, st.Sessions().Revoke(c, revokedOld.ID, base.Add(time.Hour), "logout"))
	stale = append(stale, revokedOld)

	live := newSession(t, st, u.ID, base, 48*time.Hour)
	expiresLater := newSession(t, st, u.ID, base.Add(9*time.Hour), 2*time.Hour) // expires after cutoff
	revokedLate := newSession(t, st, u.ID, base, 48*time.Hour)
	require.NoError(t, st.Sessions().Revoke(c, revokedLate.ID, cutoff.Add(time.Minute), "logout"))
	keep := []*store.Session{live, expiresLater, revokedLate}

	// Each stale session has a refresh token, which goes with it.
	var hashes [][]byte
	for i, s := range append(append([]*store.Session{}, stale...), keep...) {
		h := []byte(fmt.Sprintf("rt-%d", i))
		hashes = append(hashes, h)
		require.NoError(t, st.RefreshTokens().Create(c, &store.RefreshToken{SessionID: s.ID, UserID: u.ID, Hash: h, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}))
	}

	n, err := st.Sessions().DeleteStale(c, cutoff, 3)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "at most limit")
	n, err = st.Sessions().DeleteStale(c, cutoff, 3)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the rest")
	n, err = st.Sessions().DeleteStale(c, cutoff, 3)
	require.NoError(t, err)
	assert.Zero(t, n)

	for i, s := range stale {
		_, err := st.Sessions().ByID(c, s.ID)
		isErr(t, err, store.ErrSessionNotFound, "stale %d", i)
		_, err = st.RefreshTokens().ByHash(c, hashes[i])
		isErr(t, err, store.ErrInvalidRefreshToken, "refresh token of stale %d", i)
	}
	for i, s := range keep {
		_, err := st.Sessions().ByID(c, s.ID)
		assert.NoError(t, err, "kept %d", i)
		_, err = st.RefreshTokens().ByHash(c, hashes[len(stale)+i])
		assert.NoError(t, err, "refresh token of kept %d", i)
	}
}
