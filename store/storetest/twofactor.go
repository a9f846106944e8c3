package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func twoFactorCases() []testCase {
	return []testCase{
		{"PutAndGet", testTwoFactorPutAndGet},
		{"GetNotFound", testTwoFactorGetNotFound},
		{"PutUnknownUser", testTwoFactorPutUnknownUser},
		{"AdvanceStepForwardOnce", testTwoFactorAdvanceStep},
		{"ConcurrentAdvanceStep", testTwoFactorConcurrentAdvanceStep},
		{"BackupCodesUsedOnce", testTwoFactorBackupCodes},
		{"ReplaceBackupCodes", testTwoFactorReplaceBackupCodes},
		{"ConcurrentUseBackupCode", testTwoFactorConcurrentBackupCode},
		{"ConcurrentReplaceBackupCodes", testTwoFactorConcurrentReplace},
		{"Delete", testTwoFactorDelete},
	}
}

func enrol(t *testing.T, st store.Repos, userID string) *store.TwoFactor {
	t.Helper()
	tf := &store.TwoFactor{UserID: userID, Method: store.MethodTOTP, Secret: []byte("sealed"), Enabled: true, CreatedAt: base, UpdatedAt: base}
	require.NoError(t, st.TwoFactor().Put(ctx(t), tf))
	return tf
}

func backupCodes(prefix string, n int) []store.BackupCode {
	codes := make([]store.BackupCode, n)
	for i := range codes {
		codes[i] = store.BackupCode{Hash: []byte(fmt.Sprintf("%s-%d", prefix, i)), CreatedAt: base}
	}
	return codes
}

func remaining(t *testing.T, st store.Store, userID string) int {
	t.Helper()
	n, err := st.TwoFactor().BackupCodesRemaining(ctx(t), userID)
	require.NoError(t, err)
	return n
}

func testTwoFactorPutAndGet(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	tf := &store.TwoFactor{
		UserID: u.ID, Method: store.MethodTOTP, Secret: []byte{0, 1, 2, 250, 0},
		Enabled: false, LastStep: 42, CreatedAt: base, UpdatedAt: base.Add(time.Second),
	}
	require.NoError(t, st.TwoFactor().Put(ctx(t), tf))
	got, err := st.TwoFactor().Get(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.UserID)
	assert.Equal(t, store.MethodTOTP, got.Method)
	assert.Equal(t, tf.Secret, got.Secret)
	assert.False(t, got.Enabled)
	assert.Equal(t, int64(42), got.LastStep)
	sameTime(t, base, got.CreatedAt)
	sameTime(t, base.Add(time.Second), got.UpdatedAt)

	// Put replaces the enrolment.
	re := &store.TwoFactor{UserID: u.ID, Method: store.MethodSMS, Secret: nil, Enabled: true, LastStep: 0, CreatedAt: base.Add(time.Hour), UpdatedAt: base.Add(time.Hour)}
	require.NoError(t, st.TwoFactor().Put(ctx(t), re))
	got, err = st.TwoFactor().Get(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, store.MethodSMS, got.Method)
	assert.Empty(t, got.Secret)
	assert.True(t, got.Enabled)
	assert.Zero(t, got.LastStep)
	sameTime(t, base.Add(time.Hour), got.UpdatedAt)
}

func testTwoFactorGetNotFound(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	for _, id := range []string{u.ID, missingID, badID} {
		_, err := st.TwoFactor().Get(ctx(t), id)
		isErr(t, err, store.ErrNotFound, id)
	}
}

func testTwoFactorPutUnknownUser(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		err := st.TwoFactor().Put(ctx(t), &store.TwoFactor{UserID: id, Method: store.MethodTOTP, CreatedAt: base, UpdatedAt: base})
		isErr(t, err, store.ErrUserNotFound, "Put(%q)", id)
		err = st.TwoFactor().ReplaceBackupCodes(ctx(t), id, backupCodes("x", 2))
		isErr(t, err, store.ErrUserNotFound, "ReplaceBackupCodes(%q)", id)
	}
}

func testTwoFactorAdvanceStep(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	enrol(t, st, u.ID)
	enrol(t, st, b.ID)
	c := ctx(t)

	for _, tc := range []struct {
		step int64
		want bool
	}{
		{100, true},
		{100, false}, // the same code twice
		{99, false},  // an older code
		{101, true},
		{103, true},
		{102, false},
		{0, false},
	} {
		ok, err := st.TwoFactor().AdvanceStep(c, u.ID, tc.step)
		require.NoError(t, err, "step %d", tc.step)
		assert.Equal(t, tc.want, ok, "step %d", tc.step)
	}
	got, err := st.TwoFactor().Get(c, u.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(103), got.LastStep)

	got, err = st.TwoFactor().Get(c, b.ID)
	require.NoError(t, err)
	assert.Zero(t, got.LastStep, "other users untouched")
	ok, err := st.TwoFactor().AdvanceStep(c, b.ID, 100)
	require.NoError(t, err)
	assert.True(t, ok, "steps are per user")

	for _, id := range []string{missingID, badID} {
		ok, err := st.TwoFactor().AdvanceStep(c, id, 200)
		if err != nil {
			isErr(t, err, store.ErrNotFound, id)
		}
		assert.False(t, ok, "no enrolment, no step: %s", id)
	}
}

func testTwoFactorConcurrentAdvanceStep(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	enrol(t, st, u.ID)
	oks := make([]bool, 10)
	errs := parallel(10, func(i int) error {
		var err error
		oks[i], err = st.TwoFactor().AdvanceStep(ctx(t), u.ID, 500)
		return err
	})
	tally(t, errs, nil)
	n := 0
	for _, ok := range oks {
		if ok {
			n++
		}
	}
	assert.Equal(t, 1, n, "exactly one caller gets the step")
}

func testTwoFactorBackupCodes(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	enrol(t, st, u.ID)
	c := ctx(t)
	assert.Zero(t, remaining(t, st, u.ID))

	codes := backupCodes("ada", 10)
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, u.ID, codes))
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, b.ID, backupCodes("bob", 3)))
	assert.Equal(t, 10, remaining(t, st, u.ID))

	require.NoError(t, st.TwoFactor().UseBackupCode(c, u.ID, codes[3].Hash, base.Add(time.Minute)))
	assert.Equal(t, 9, remaining(t, st, u.ID))
	isErr(t, st.TwoFactor().UseBackupCode(c, u.ID, codes[3].Hash, base.Add(2*time.Minute)), store.ErrInvalidCode, "a code works once")
	assert.Equal(t, 9, remaining(t, st, u.ID))

	isErr(t, st.TwoFactor().UseBackupCode(c, u.ID, []byte("bob-0"), base), store.ErrInvalidCode, "another user's code")
	isErr(t, st.TwoFactor().UseBackupCode(c, u.ID, []byte("nope"), base), store.ErrInvalidCode, "an unknown code")
	assert.Equal(t, 3, remaining(t, st, b.ID), "other users untouched")

	for _, code := range codes {
		_ = st.TwoFactor().UseBackupCode(c, u.ID, code.Hash, base.Add(time.Hour))
	}
	assert.Zero(t, remaining(t, st, u.ID))

	for _, id := range []string{missingID, badID} {
		isErr(t, st.TwoFactor().UseBackupCode(c, id, codes[0].Hash, base), store.ErrInvalidCode, id)
		n, err := st.TwoFactor().BackupCodesRemaining(c, id)
		require.NoError(t, err, id)
		assert.Zero(t, n, id)
	}
}

func testTwoFactorReplaceBackupCodes(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	enrol(t, st, u.ID)
	c := ctx(t)
	old := backupCodes("old", 5)
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, u.ID, old))
	require.NoError(t, st.TwoFactor().UseBackupCode(c, u.ID, old[0].Hash, base))

	fresh := backupCodes("new", 8)
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, u.ID, fresh))
	assert.Equal(t, 8, remaining(t, st, u.ID), "only the new codes count")
	for i, code := range old {
		isErr(t, st.TwoFactor().UseBackupCode(c, u.ID, code.Hash, base.Add(time.Minute)), store.ErrInvalidCode, "old code %d", i)
	}
	require.NoError(t, st.TwoFactor().UseBackupCode(c, u.ID, fresh[7].Hash, base.Add(time.Minute)))
	assert.Equal(t, 7, remaining(t, st, u.ID))

	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, u.ID, nil), "no codes at all")
	assert.Zero(t, remaining(t, st, u.ID))
	isErr(t, st.TwoFactor().UseBackupCode(c, u.ID, fresh[0].Hash, base.Add(time.Minute)), store.ErrInvalidCode)
}

func testTwoFactorConcurrentBackupCode(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	enrol(t, st, u.ID)
	codes := backupCodes("ada", 3)
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(ctx(t), u.ID, codes))
	errs := parallel(10, func(i int) error {
		return st.TwoFactor().UseBackupCode(ctx(t), u.ID, codes[1].Hash, base.Add(time.Duration(i)*time.Second))
	})
	ok, refused := tally(t, errs, store.ErrInvalidCode)
	assert.Equal(t, 1, ok, "exactly one caller spends the code")
	assert.Equal(t, 9, refused)
	assert.Equal(t, 2, remaining(t, st, u.ID))
}

func testTwoFactorDelete(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	enrol(t, st, u.ID)
	enrol(t, st, b.ID)
	c := ctx(t)
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, u.ID, backupCodes("ada", 4)))
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, b.ID, backupCodes("bob", 4)))

	require.NoError(t, st.TwoFactor().Delete(c, u.ID))
	_, err := st.TwoFactor().Get(c, u.ID)
	isErr(t, err, store.ErrNotFound)
	assert.Zero(t, remaining(t, st, u.ID), "backup codes go too")

	_, err = st.TwoFactor().Get(c, b.ID)
	assert.NoError(t, err, "other users untouched")
	assert.Equal(t, 4, remaining(t, st, b.ID))

	// Enrolling again starts clean.
	enrol(t, st, u.ID)
	ok, err := st.TwoFactor().AdvanceStep(c, u.ID, 1)
	require.NoError(t, err)
	assert.True(t, ok)

	for _, id := range []string{u.ID, missingID, badID} {
		if err := st.TwoFactor().Delete(c, id); err != nil {
			isErr(t, err, store.ErrNotFound, id)
		}
	}
	_, err = st.TwoFactor().Get(c, u.ID)
	isErr(t, err, store.ErrNotFound)
}

func testTwoFactorConcurrentReplace(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	enrol(t, st, u.ID)
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(ctx(t), u.ID, backupCodes("old", 10)))
	errs := parallel(5, func(i int) error {
		return st.TwoFactor().ReplaceBackupCodes(ctx(t), u.ID, backupCodes(fmt.Sprintf("set%d", i), 10))
	})
	ok, _ := tally(t, errs, nil)
	require.Equal(t, 5, ok)
	assert.Equal(t, 10, remaining(t, st, u.ID), "one set survives, not a mix of several")
}
