package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func refreshTokenCases() []testCase {
	return []testCase{
		{"CreateAndByHash", testRefreshCreateAndByHash},
		{"CreateUnknownSession", testRefreshCreateUnknownSession},
		{"ByHashUnknown", testRefreshByHashUnknown},
		{"MarkUsedOnce", testRefreshMarkUsedOnce},
		{"ConcurrentMarkUsed", testRefreshConcurrentMarkUsed},
		{"Rotate", testRefreshRotate},
		{"RotateInTx", testRefreshRotateInTx},
		{"ConcurrentRotate", testRefreshConcurrentRotate},
		{"RotateExpired", testRefreshRotateExpired},
	}
}

func rotation(s *store.Session, hash string, at time.Time) (*store.RefreshToken, *store.AuditEntry) {
	next := &store.RefreshToken{SessionID: s.ID, UserID: s.UserID, Hash: []byte(hash), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	e := &store.AuditEntry{ActorID: s.UserID, Action: "auth.refresh", TargetID: s.UserID, Outcome: store.OutcomeSuccess,
		IP: "203.0.113.9", Metadata: map[string]string{"session_id": s.ID}, CreatedAt: at}
	return next, e
}

func testRefreshRotate(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, 24*time.Hour)
	old := newRefreshToken(t, st, s, "old")
	at := base.Add(time.Minute)
	next, e := rotation(s, "next", at)
	found, rotated, err := st.RefreshTokens().Rotate(ctx(t), old.Hash, s.ID, at, next, e)
	require.NoError(t, err)
	assert.True(t, rotated)
	assert.NotEmpty(t, next.ID)
	assert.Equal(t, old.ID, found.ID)
	assert.Equal(t, u.ID, found.UserID)
	assert.Nil(t, found.UsedAt, "found unspent")

	got, err := st.RefreshTokens().ByHash(ctx(t), old.Hash)
	require.NoError(t, err)
	sameTimePtr(t, &at, got.UsedAt, "the old token is spent")
	got, err = st.RefreshTokens().ByHash(ctx(t), []byte("next"))
	require.NoError(t, err)
	assert.Equal(t, next.ID, got.ID)
	assert.Nil(t, got.UsedAt)
	entries, err := listAudit(t, st, store.AuditFilter{Action: "auth.refresh"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, map[string]string{"session_id": s.ID}, entries[0].Metadata)
	assert.Equal(t, "203.0.113.9", entries[0].IP)

	// A spent token rotates no more, and the refused rotation writes
	// nothing; it reports when the token was spent, to tell a reuse.
	again, e2 := rotation(s, "again", at.Add(time.Minute))
	found, rotated, err = st.RefreshTokens().Rotate(ctx(t), old.Hash, s.ID, at.Add(time.Minute), again, e2)
	require.NoError(t, err)
	assert.False(t, rotated)
	sameTimePtr(t, &at, found.UsedAt, "reported as spent")
	_, err = st.RefreshTokens().ByHash(ctx(t), []byte("again"))
	isErr(t, err, store.ErrInvalidRefreshToken, "no token written")
	n, err := st.Audit().Count(ctx(t), store.AuditFilter{Action: "auth.refresh"})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "no audit row written")
	// An unknown hash, or the token under another session, is unknown.
	other := newSession(t, st, u.ID, base, 24*time.Hour)
	for _, tc := range []struct {
		hash      []byte
		sessionID string
	}{{[]byte("unknown"), s.ID}, {[]byte("next"), other.ID}, {[]byte("next"), missingID}, {[]byte("next"), badID}} {
		nx, ex := rotation(s, "x"+tc.sessionID, at)
		_, _, err := st.RefreshTokens().Rotate(ctx(t), tc.hash, tc.sessionID, at, nx, ex)
		isErr(t, err, store.ErrInvalidRefreshToken, tc.sessionID)
	}
	n, err = st.Audit().Count(ctx(t), store.AuditFilter{Action: "auth.refresh"})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "no audit row written")
}

func testRefreshRotateExpired(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, 48*time.Hour)
	old := newRefreshToken(t, st, s, "old") // expires at base + 24h
	at := base.Add(24 * time.Hour)
	next, e := rotation(s, "next", at)
	found, rotated, err := st.RefreshTokens().Rotate(ctx(t), old.Hash, s.ID, at, next, e)
	require.NoError(t, err)
	assert.False(t, rotated, "an expired token rotates no more")
	assert.Nil(t, found.UsedAt, "and is not spent")
	_, err = st.RefreshTokens().ByHash(ctx(t), []byte("next"))
	isErr(t, err, store.ErrInvalidRefreshToken, "no token written")
	n, err := st.Audit().Count(ctx(t), store.AuditFilter{Action: "auth.refresh"})
	require.NoError(t, err)
	assert.Equal(t, 0, n, "no audit row written")
}

func testRefreshRotateInTx(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, 24*time.Hour)
	old := newRefreshToken(t, st, s, "old")
	boom := errors.New("boom")
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		next, e := rotation(s, "next", base)
		_, rotated, err := tx.RefreshTokens().Rotate(ctx(t), old.Hash, s.ID, base, next, e)
		require.NoError(t, err)
		require.True(t, rotated)
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := st.RefreshTokens().ByHash(ctx(t), old.Hash)
	require.NoError(t, err)
	assert.Nil(t, got.UsedAt, "rolled back with the transaction")
}

func testRefreshConcurrentRotate(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, 24*time.Hour)
	old := newRefreshToken(t, st, s, "race")
	errs := parallel(10, func(i int) error {
		next, e := rotation(s, "next-"+string(rune('a'+i)), base)
		_, rotated, err := st.RefreshTokens().Rotate(ctx(t), old.Hash, s.ID, base, next, e)
		if err == nil && !rotated {
			return store.ErrInvalidRefreshToken
		}
		return err
	})
	ok, refused := tally(t, errs, store.ErrInvalidRefreshToken)
	assert.Equal(t, 1, ok, "exactly one rotation wins")
	assert.Equal(t, 9, refused)
	n, err := st.Audit().Count(ctx(t), store.AuditFilter{Action: "auth.refresh"})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only the winner's audit row")
}

func oneTimeTokenCases() []testCase {
	return []testCase{
		{"CreateAndByHash", testOTCreateAndByHash},
		{"CreateUnknownUser", testOTCreateUnknownUser},
		{"UseOnce", testOTUseOnce},
		{"UseExpiredRefused", testOTUseExpired},
		{"UseUnknown", testOTUseUnknown},
		{"ConcurrentUse", testOTConcurrentUse},
		{"AddAttemptSpendsAtMax", testOTAddAttempt},
		{"SpendAll", testOTSpendAll},
		{"Latest", testOTLatest},
		{"DeleteExpired", testOTDeleteExpired},
	}
}

func newRefreshToken(t *testing.T, st store.Repos, s *store.Session, hash string) *store.RefreshToken {
	t.Helper()
	rt := &store.RefreshToken{SessionID: s.ID, UserID: s.UserID, Hash: []byte(hash), CreatedAt: base, ExpiresAt: base.Add(24 * time.Hour)}
	require.NoError(t, st.RefreshTokens().Create(ctx(t), rt))
	require.NotEmpty(t, rt.ID)
	return rt
}

func testRefreshCreateAndByHash(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, 24*time.Hour)
	hash := []byte{0x00, 0xff, 0x10, 0x80, 'a', 0x00} // arbitrary bytes, NULs included
	rt := &store.RefreshToken{SessionID: s.ID, UserID: u.ID, Hash: hash, CreatedAt: base.Add(time.Second), ExpiresAt: base.Add(24 * time.Hour)}
	require.NoError(t, st.RefreshTokens().Create(ctx(t), rt))
	_, err := uuid.Parse(rt.ID)
	assert.NoError(t, err, "Create assigns a UUID")
	newRefreshToken(t, st, s, "other")

	got, err := st.RefreshTokens().ByHash(ctx(t), hash)
	require.NoError(t, err)
	assert.Equal(t, rt.ID, got.ID)
	assert.Equal(t, s.ID, got.SessionID)
	assert.Equal(t, u.ID, got.UserID)
	assert.Equal(t, hash, got.Hash)
	sameTime(t, base.Add(time.Second), got.CreatedAt)
	sameTime(t, base.Add(24*time.Hour), got.ExpiresAt)
	assert.Nil(t, got.UsedAt)
}

func testRefreshCreateUnknownSession(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	for _, id := range []string{missingID, badID} {
		rt := &store.RefreshToken{SessionID: id, UserID: u.ID, Hash: []byte("h" + id), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		isErr(t, st.RefreshTokens().Create(ctx(t), rt), store.ErrSessionNotFound, id)
	}
}

func testRefreshByHashUnknown(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, time.Hour)
	newRefreshToken(t, st, s, "known")
	for _, h := range [][]byte{[]byte("unknown"), []byte("know"), []byte("KNOWN"), {}, nil} {
		_, err := st.RefreshTokens().ByHash(ctx(t), h)
		isErr(t, err, store.ErrInvalidRefreshToken, "%q", h)
	}
}

func testRefreshMarkUsedOnce(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, 24*time.Hour)
	rt := newRefreshToken(t, st, s, "one")
	other := newRefreshToken(t, st, s, "two")

	require.NoError(t, st.RefreshTokens().MarkUsed(ctx(t), rt.ID, base.Add(time.Minute)))
	isErr(t, st.RefreshTokens().MarkUsed(ctx(t), rt.ID, base.Add(2*time.Minute)), store.ErrInvalidRefreshToken, "second use")

	got, err := st.RefreshTokens().ByHash(ctx(t), rt.Hash)
	require.NoError(t, err, "ByHash finds used tokens too")
	sameTimePtr(t, ptr(base.Add(time.Minute)), got.UsedAt, "the first use stands")
	got, err = st.RefreshTokens().ByHash(ctx(t), other.Hash)
	require.NoError(t, err)
	assert.Nil(t, got.UsedAt, "other tokens untouched")

	for _, id := range []string{missingID, badID} {
		isErr(t, st.RefreshTokens().MarkUsed(ctx(t), id, base), store.ErrInvalidRefreshToken, id)
	}
}

func testRefreshConcurrentMarkUsed(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	s := newSession(t, st, u.ID, base, 24*time.Hour)
	rt := newRefreshToken(t, st, s, "race")
	errs := parallel(10, func(i int) error {
		return st.RefreshTokens().MarkUsed(ctx(t), rt.ID, base.Add(time.Duration(i)*time.Second))
	})
	ok, refused := tally(t, errs, store.ErrInvalidRefreshToken)
	assert.Equal(t, 1, ok, "exactly one refresh wins")
	assert.Equal(t, 9, refused)
}

func newOneTimeToken(t *testing.T, st store.Repos, userID string, purpose store.TokenPurpose, hash string, created time.Time, ttl time.Duration) *store.OneTimeToken {
	t.Helper()
	ot := &store.OneTimeToken{UserID: userID, Purpose: purpose, Hash: []byte(hash), CreatedAt: created, ExpiresAt: created.Add(ttl)}
	require.NoError(t, st.OneTimeTokens().Create(ctx(t), ot))
	require.NotEmpty(t, ot.ID)
	return ot
}

func testOTCreateAndByHash(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	ot := &store.OneTimeToken{
		UserID: u.ID, Purpose: store.PurposeChangeEmail, Hash: []byte{1, 2, 3, 0, 255},
		Data: "ada@new.example.com", Attempts: 1, CreatedAt: base.Add(3 * time.Microsecond), ExpiresAt: base.Add(time.Hour),
	}
	require.NoError(t, st.OneTimeTokens().Create(ctx(t), ot))
	_, err := uuid.Parse(ot.ID)
	assert.NoError(t, err, "Create assigns a UUID")

	got, err := st.OneTimeTokens().ByHash(ctx(t), store.PurposeChangeEmail, ot.Hash)
	require.NoError(t, err)
	assert.Equal(t, ot.ID, got.ID)
	assert.Equal(t, u.ID, got.UserID)
	assert.Equal(t, store.PurposeChangeEmail, got.Purpose)
	assert.Equal(t, ot.Hash, got.Hash)
	assert.Equal(t, "ada@new.example.com", got.Data)
	assert.Equal(t, 1, got.Attempts)
	sameTime(t, ot.CreatedAt, got.CreatedAt)
	sameTime(t, ot.ExpiresAt, got.ExpiresAt)
	assert.Nil(t, got.UsedAt)

	_, err = st.OneTimeTokens().ByHash(ctx(t), store.PurposeResetPassword, ot.Hash)
	isErr(t, err, store.ErrInvalidToken, "the purpose must match")
	_, err = st.OneTimeTokens().ByHash(ctx(t), store.PurposeChangeEmail, []byte("other"))
	isErr(t, err, store.ErrInvalidToken, "unknown hash")

	// The same hash may serve another purpose.
	same := newOneTimeToken(t, st, u.ID, store.PurposeResetPassword, string(ot.Hash), base, time.Hour)
	got, err = st.OneTimeTokens().ByHash(ctx(t), store.PurposeResetPassword, ot.Hash)
	require.NoError(t, err)
	assert.Equal(t, same.ID, got.ID)
	assert.Empty(t, got.Data)
}

func testOTCreateUnknownUser(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		ot := &store.OneTimeToken{UserID: id, Purpose: store.PurposeVerifyEmail, Hash: []byte("h" + id), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		isErr(t, st.OneTimeTokens().Create(ctx(t), ot), store.ErrUserNotFound, id)
	}
}

func testOTUseOnce(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	ot := newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, "v", base, time.Hour)
	other := newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, "w", base, time.Hour)

	require.NoError(t, st.OneTimeTokens().Use(ctx(t), ot.ID, base.Add(time.Minute)))
	isErr(t, st.OneTimeTokens().Use(ctx(t), ot.ID, base.Add(2*time.Minute)), store.ErrInvalidToken, "second use")

	got, err := st.OneTimeTokens().ByHash(ctx(t), store.PurposeVerifyEmail, ot.Hash)
	require.NoError(t, err, "ByHash finds spent tokens too")
	sameTimePtr(t, ptr(base.Add(time.Minute)), got.UsedAt, "the first use stands")
	got, err = st.OneTimeTokens().ByHash(ctx(t), store.PurposeVerifyEmail, other.Hash)
	require.NoError(t, err)
	assert.Nil(t, got.UsedAt, "other tokens untouched")
}

func testOTUseExpired(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	ot := newOneTimeToken(t, st, u.ID, store.PurposeResetPassword, "r", base, time.Hour)
	isErr(t, st.OneTimeTokens().Use(ctx(t), ot.ID, base.Add(time.Hour)), store.ErrInvalidToken, "at expiry")
	isErr(t, st.OneTimeTokens().Use(ctx(t), ot.ID, base.Add(2*time.Hour)), store.ErrInvalidToken, "after expiry")
	isErr(t, st.OneTimeTokens().Use(ctx(t), ot.ID, base.Add(2*time.Hour).In(zone)), store.ErrInvalidToken, "after expiry, in another zone")
	got, err := st.OneTimeTokens().ByHash(ctx(t), store.PurposeResetPassword, ot.Hash)
	require.NoError(t, err)
	assert.Nil(t, got.UsedAt, "a refused use spends nothing")
	require.NoError(t, st.OneTimeTokens().Use(ctx(t), ot.ID, base.Add(time.Hour-time.Microsecond)), "just before expiry")
}

func testOTUseUnknown(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		isErr(t, st.OneTimeTokens().Use(ctx(t), id, base), store.ErrInvalidToken, "Use(%q)", id)
		_, err := st.OneTimeTokens().AddAttempt(ctx(t), id, 3, base)
		isErr(t, err, store.ErrInvalidToken, "AddAttempt(%q)", id)
	}
}

func testOTConcurrentUse(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	ot := newOneTimeToken(t, st, u.ID, store.PurposeMFALogin, "race", base, time.Hour)
	errs := parallel(10, func(i int) error {
		return st.OneTimeTokens().Use(ctx(t), ot.ID, base.Add(time.Duration(i)*time.Second))
	})
	ok, refused := tally(t, errs, store.ErrInvalidToken)
	assert.Equal(t, 1, ok, "exactly one use wins")
	assert.Equal(t, 9, refused)
}

func testOTAddAttempt(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	ot := newOneTimeToken(t, st, u.ID, store.PurposeMFACode, "123456", base, time.Hour)
	other := newOneTimeToken(t, st, u.ID, store.PurposeMFACode, "654321", base, time.Hour)
	c := ctx(t)

	for want := 1; want <= 2; want++ {
		n, err := st.OneTimeTokens().AddAttempt(c, ot.ID, 3, base.Add(time.Duration(want)*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, want, n)
		got, err := st.OneTimeTokens().ByHash(c, store.PurposeMFACode, ot.Hash)
		require.NoError(t, err)
		assert.Equal(t, want, got.Attempts)
		assert.Nil(t, got.UsedAt, "below max the token stays usable")
	}
	spentAt := base.Add(3 * time.Minute)
	n, err := st.OneTimeTokens().AddAttempt(c, ot.ID, 3, spentAt)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	got, err := st.OneTimeTokens().ByHash(c, store.PurposeMFACode, ot.Hash)
	require.NoError(t, err)
	assert.Equal(t, 3, got.Attempts)
	sameTimePtr(t, &spentAt, got.UsedAt, "reaching max spends the token")

	isErr(t, st.OneTimeTokens().Use(c, ot.ID, spentAt.Add(time.Second)), store.ErrInvalidToken, "a spent token cannot be used")
	_, err = st.OneTimeTokens().AddAttempt(c, ot.ID, 3, spentAt.Add(time.Second))
	isErr(t, err, store.ErrInvalidToken, "nor guessed at")

	got, err = st.OneTimeTokens().ByHash(c, store.PurposeMFACode, other.Hash)
	require.NoError(t, err)
	assert.Zero(t, got.Attempts, "other tokens untouched")
	require.NoError(t, st.OneTimeTokens().Use(c, other.ID, spentAt))

	// Parallel wrong guesses each count, and only up to max.
	race := newOneTimeToken(t, st, u.ID, store.PurposeMFACode, "race", base, time.Hour)
	counts := make([]int, 10)
	errs := parallel(10, func(i int) error {
		var err error
		counts[i], err = st.OneTimeTokens().AddAttempt(c, race.ID, 5, base.Add(time.Minute))
		return err
	})
	ok, refused := tally(t, errs, store.ErrInvalidToken)
	assert.Equal(t, 5, ok, "max attempts are counted")
	assert.Equal(t, 5, refused, "the rest find the token spent")
	seen := map[int]bool{}
	for i, err := range errs {
		if err == nil {
			assert.False(t, seen[counts[i]], "count %d returned twice", counts[i])
			seen[counts[i]] = true
		}
	}
	got, err = st.OneTimeTokens().ByHash(c, store.PurposeMFACode, race.Hash)
	require.NoError(t, err)
	assert.Equal(t, 5, got.Attempts)
	assert.NotNil(t, got.UsedAt)
}

func testOTSpendAll(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	c := ctx(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, newOneTimeToken(t, st, u.ID, store.PurposeResetPassword, fmt.Sprintf("r%d", i), base, time.Hour).ID)
	}
	used := newOneTimeToken(t, st, u.ID, store.PurposeResetPassword, "used", base, time.Hour)
	require.NoError(t, st.OneTimeTokens().Use(c, used.ID, base))
	verify := newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, "v", base, time.Hour)
	bobs := newOneTimeToken(t, st, b.ID, store.PurposeResetPassword, "b", base, time.Hour)

	n, err := st.OneTimeTokens().SpendAll(c, u.ID, store.PurposeResetPassword, base.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 3, n, "only unspent tokens count")
	for i, id := range ids {
		isErr(t, st.OneTimeTokens().Use(c, id, base.Add(2*time.Minute)), store.ErrInvalidToken, "token %d", i)
	}
	got, err := st.OneTimeTokens().ByHash(c, store.PurposeResetPassword, used.Hash)
	require.NoError(t, err)
	sameTimePtr(t, &base, got.UsedAt, "an earlier use stands")
	_, err = st.OneTimeTokens().Latest(c, u.ID, store.PurposeResetPassword)
	isErr(t, err, store.ErrInvalidToken)

	require.NoError(t, st.OneTimeTokens().Use(c, verify.ID, base.Add(2*time.Minute)), "other purposes untouched")
	require.NoError(t, st.OneTimeTokens().Use(c, bobs.ID, base.Add(2*time.Minute)), "other users untouched")

	n, err = st.OneTimeTokens().SpendAll(c, u.ID, store.PurposeResetPassword, base.Add(time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n)
	for _, id := range []string{missingID, badID} {
		n, err := st.OneTimeTokens().SpendAll(c, id, store.PurposeResetPassword, base)
		require.NoError(t, err, id)
		assert.Zero(t, n, id)
	}
}

func testOTLatest(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	c := ctx(t)

	_, err := st.OneTimeTokens().Latest(c, u.ID, store.PurposeMFACode)
	isErr(t, err, store.ErrInvalidToken, "none yet")

	older := newOneTimeToken(t, st, u.ID, store.PurposeMFACode, "1", base, time.Hour)
	newest := newOneTimeToken(t, st, u.ID, store.PurposeMFACode, "2", base.Add(time.Minute), time.Hour)
	newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, "3", base.Add(2*time.Minute), time.Hour)
	newOneTimeToken(t, st, b.ID, store.PurposeMFACode, "4", base.Add(3*time.Minute), time.Hour)

	got, err := st.OneTimeTokens().Latest(c, u.ID, store.PurposeMFACode)
	require.NoError(t, err)
	assert.Equal(t, newest.ID, got.ID)

	require.NoError(t, st.OneTimeTokens().Use(c, newest.ID, base.Add(2*time.Minute)))
	got, err = st.OneTimeTokens().Latest(c, u.ID, store.PurposeMFACode)
	require.NoError(t, err)
	assert.Equal(t, older.ID, got.ID, "spent tokens are skipped")

	require.NoError(t, st.OneTimeTokens().Use(c, older.ID, base.Add(2*time.Minute)))
	_, err = st.OneTimeTokens().Latest(c, u.ID, store.PurposeMFACode)
	isErr(t, err, store.ErrInvalidToken, "all spent")

	for _, id := range []string{missingID, badID} {
		_, err := st.OneTimeTokens().Latest(c, id, store.PurposeMFACode)
		isErr(t, err, store.ErrInvalidToken, id)
	}
}

func testOTDeleteExpired(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	cutoff := base.Add(10 * time.Hour)
	c := ctx(t)

	var gone []*store.OneTimeToken
	for i := range 3 {
		gone = append(gone, newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, fmt.Sprintf("e%d", i), base, time.Duration(i+1)*time.Hour))
	}
	spent := newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, "spent", base, 48*time.Hour)
	require.NoError(t, st.OneTimeTokens().Use(c, spent.ID, base.Add(time.Hour)))
	gone = append(gone, spent)

	live := newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, "live", base, 48*time.Hour)
	spentLate := newOneTimeToken(t, st, u.ID, store.PurposeVerifyEmail, "late", base, 48*time.Hour)
	require.NoError(t, st.OneTimeTokens().Use(c, spentLate.ID, cutoff.Add(time.Minute)))

	n, err := st.OneTimeTokens().DeleteExpired(c, cutoff, 3)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "at most limit")
	n, err = st.OneTimeTokens().DeleteExpired(c, cutoff, 3)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = st.OneTimeTokens().DeleteExpired(c, cutoff, 3)
	require.NoError(t, err)
	assert.Zero(t, n)

	for _, ot := range gone {
		_, err := st.OneTimeTokens().ByHash(c, ot.Purpose, ot.Hash)
		isErr(t, err, store.ErrInvalidToken, string(ot.Hash))
	}
	for _, ot := range []*store.OneTimeToken{live, spentLate} {
		_, err := st.OneTimeTokens().ByHash(c, ot.Purpose, ot.Hash)
		assert.NoError(t, err, string(ot.Hash))
	}
}
