package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func userCases() []testCase {
	return []testCase{
		{"CreateAndGet", testUserCreateAndGet},
		{"CreateDefaults", testUserCreateDefaults},
		{"NotFound", testUserNotFound},
		{"EmailTakenAnyCase", testUserEmailTaken},
		{"UsernameTakenAnyCase", testUserUsernameTaken},
		{"NoUsernameTwice", testUserNoUsernameTwice},
		{"Update", testUserUpdate},
		{"UpdateConflicts", testUserUpdateConflicts},
		{"UpdateNotFound", testUserUpdateNotFound},
		{"UpdateFnError", testUserUpdateFnError},
		{"UpdateKeepsConcurrentChange", testUserUpdateKeepsConcurrentChange},
		{"UpdateSerialises", testUserUpdateSerialises},
		{"UpdateInTx", testUserUpdateInTx},
		{"SetLastLogin", testUserSetLastLogin},
		{"Delete", testUserDelete},
		{"PasswordHistory", testUserPasswordHistory},
		{"ConcurrentSameEmail", testUserConcurrentSameEmail},
	}
}

// fullUser returns a user with every field set.
func fullUser() *store.User {
	return &store.User{
		Email:             "ada@example.com",
		PendingEmail:      "ada@new.example.com",
		EmailVerified:     true,
		Username:          "ada",
		FirstName:         "Ada",
		LastName:          "Lovelace",
		DisplayName:       "Countess",
		PhoneNumber:       "+441234567890",
		Bio:               "Wrote the first program. Ünïcødé ✓",
		Location:          "London",
		Website:           "https://example.com/ada",
		AvatarURL:         "https://cdn.example.com/a.png",
		Visibility:        store.VisibilityPrivate,
		Status:            store.StatusSuspended,
		PasswordHash:      "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		PasswordChangedAt: ptr(base.Add(-time.Hour)),
		SuspendedReason:   "spam",
		SuspendedUntil:    ptr(base.Add(72 * time.Hour)),
		DeletedAt:         ptr(base.Add(-2 * time.Hour)),
		PurgeAfter:        ptr(base.Add(30 * 24 * time.Hour)),
		TwoFactorEnabled:  true,
		TwoFactorMethod:   string(store.MethodTOTP),
		Preferences: store.Preferences{
			Language: "fr-CA", Timezone: "America/Toronto", Theme: "dark",
			NotifyEmail: false, NotifyInApp: true, NotifySecurity: false,
		},
		// Sub-microsecond digits are dropped by both databases.
		CreatedAt:   base.Add(123456789 * time.Nanosecond),
		UpdatedAt:   base.Add(time.Minute).In(zone),
		LastLoginAt: ptr(base.Add(-3 * time.Hour).In(zone)),
	}
}

// normUser returns a copy of u with times as the databases keep them.
func normUser(u *store.User) store.User {
	c := *u
	c.PasswordChangedAt = normPtr(c.PasswordChangedAt)
	c.SuspendedUntil = normPtr(c.SuspendedUntil)
	c.DeletedAt = normPtr(c.DeletedAt)
	c.PurgeAfter = normPtr(c.PurgeAfter)
	c.CreatedAt = norm(c.CreatedAt)
	c.UpdatedAt = norm(c.UpdatedAt)
	c.LastLoginAt = normPtr(c.LastLoginAt)
	return c
}

func testUserCreateAndGet(t *testing.T, st store.Store) {
	u := fullUser()
	require.NoError(t, st.Users().Create(ctx(t), u))
	_, err := uuid.Parse(u.ID)
	assert.NoError(t, err, "Create assigns a UUID")
	want := normUser(u)

	got, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, want, normUser(got))
	sameTime(t, base.Add(123456*time.Microsecond), got.CreatedAt, "microseconds kept")

	for _, email := range caseVariants(u.Email) {
		got, err := st.Users().ByEmail(ctx(t), email)
		if assert.NoError(t, err, email) {
			assert.Equal(t, u.ID, got.ID, email)
			assert.Equal(t, u.Email, got.Email, "stored as given")
		}
	}
	for _, name := range caseVariants(u.Username) {
		got, err := st.Users().ByUsername(ctx(t), name)
		if assert.NoError(t, err, name) {
			assert.Equal(t, u.ID, got.ID, name)
		}
	}

	// A caller-chosen id is kept.
	id := uuid.NewString()
	v := &store.User{ID: id, Email: "bob@example.com", CreatedAt: base, UpdatedAt: base}
	require.NoError(t, st.Users().Create(ctx(t), v))
	assert.Equal(t, id, v.ID)
	got, err = st.Users().ByID(ctx(t), id)
	require.NoError(t, err)
	assert.Equal(t, "bob@example.com", got.Email)
}

func testUserCreateDefaults(t *testing.T, st store.Store) {
	before := time.Now().Add(-time.Minute)
	u := &store.User{Email: "min@example.com"}
	require.NoError(t, st.Users().Create(ctx(t), u))
	assert.NotEmpty(t, u.ID)
	assert.Equal(t, store.StatusActive, u.Status)
	assert.Equal(t, store.VisibilityPublic, u.Visibility)
	assert.Equal(t, store.DefaultPreferences(), u.Preferences)
	assert.True(t, u.CreatedAt.After(before), "zero CreatedAt is filled in")

	got, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, store.StatusActive, got.Status)
	assert.Equal(t, store.VisibilityPublic, got.Visibility)
	assert.Equal(t, store.DefaultPreferences(), got.Preferences)
	assert.Empty(t, got.Username)
	assert.Empty(t, got.PasswordHash)
	assert.Nil(t, got.LastLoginAt)
	assert.Nil(t, got.DeletedAt)
	assert.False(t, got.EmailVerified)
	sameTime(t, u.CreatedAt, got.CreatedAt)
}

func testUserNotFound(t *testing.T, st store.Store) {
	newUser(t, st, "ada")
	for _, id := range []string{missingID, badID, ""} {
		_, err := st.Users().ByID(ctx(t), id)
		isErr(t, err, store.ErrUserNotFound, "ByID(%q)", id)
		isErr(t, err, store.ErrNotFound, "ByID(%q)", id)
	}
	for _, email := range []string{"bob@example.com", "", "ada@example.co"} {
		_, err := st.Users().ByEmail(ctx(t), email)
		isErr(t, err, store.ErrUserNotFound, "ByEmail(%q)", email)
	}
	for _, name := range []string{"bob", "", "ad"} {
		_, err := st.Users().ByUsername(ctx(t), name)
		isErr(t, err, store.ErrUserNotFound, "ByUsername(%q)", name)
	}
}

func testUserEmailTaken(t *testing.T, st store.Store) {
	newUser(t, st, "ada")
	for i, email := range []string{"ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.com"} {
		u := &store.User{Email: email, Username: fmt.Sprintf("other%d", i), CreatedAt: base, UpdatedAt: base}
		err := st.Users().Create(ctx(t), u)
		isErr(t, err, store.ErrEmailTaken, email)
		isErr(t, err, store.ErrConflict, email)
	}
	n := 0
	for _, email := range caseVariants("ada@example.com") {
		if _, err := st.Users().ByEmail(ctx(t), email); err == nil {
			n++
		}
	}
	assert.Equal(t, 3, n, "the original is still found")
	_, err := st.Users().ByUsername(ctx(t), "other0")
	isErr(t, err, store.ErrUserNotFound, "a refused user is not stored")
}

func testUserUsernameTaken(t *testing.T, st store.Store) {
	newUser(t, st, "ada")
	for i, name := range []string{"ada", "ADA", "aDa"} {
		u := &store.User{Email: fmt.Sprintf("other%d@example.com", i), Username: name, CreatedAt: base, UpdatedAt: base}
		err := st.Users().Create(ctx(t), u)
		isErr(t, err, store.ErrUsernameTaken, name)
		isErr(t, err, store.ErrConflict, name)
	}
	_, err := st.Users().ByEmail(ctx(t), "other0@example.com")
	isErr(t, err, store.ErrUserNotFound, "a refused user is not stored")
}

func testUserNoUsernameTwice(t *testing.T, st store.Store) {
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		require.NoError(t, st.Users().Create(ctx(t), &store.User{Email: email}), "users without a username do not clash")
	}
}

func testUserUpdate(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	other := newUser(t, st, "bob")

	w := fullUser()
	w.ID = u.ID
	w.CreatedAt = u.CreatedAt
	w.Email = "ADA.L@example.com"
	w.Username = "Countess"
	w.UpdatedAt = base.Add(time.Hour)
	require.NoError(t, replaceUser(st, w))

	got, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, normUser(w), normUser(got))
	_, err = st.Users().ByEmail(ctx(t), "ada@example.com")
	isErr(t, err, store.ErrUserNotFound, "the old email is free")
	got, err = st.Users().ByEmail(ctx(t), "ada.l@EXAMPLE.com")
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)

	// Clearing optional fields stores them empty.
	got.PendingEmail, got.Username, got.Bio = "", "", ""
	got.PasswordChangedAt, got.SuspendedUntil, got.DeletedAt, got.PurgeAfter, got.LastLoginAt = nil, nil, nil, nil, nil
	got.Status = store.StatusActive
	got.EmailVerified, got.TwoFactorEnabled, got.TwoFactorMethod = false, false, ""
	got.Preferences = store.Preferences{}
	require.NoError(t, replaceUser(st, got))
	again, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, normUser(got), normUser(again))

	// The other user is untouched; the cleared username is free again.
	o, err := st.Users().ByID(ctx(t), other.ID)
	require.NoError(t, err)
	assert.Equal(t, normUser(other), normUser(o))
	o.Username = "countess"
	assert.NoError(t, replaceUser(st, o))
}

func testUserUpdateConflicts(t *testing.T, st store.Store) {
	newUser(t, st, "ada")
	b := newUser(t, st, "bob")

	c := *b
	c.Email = "ADA@example.COM"
	err := replaceUser(st, &c)
	isErr(t, err, store.ErrEmailTaken)

	c = *b
	c.Username = "Ada"
	err = replaceUser(st, &c)
	isErr(t, err, store.ErrUsernameTaken)

	got, err := st.Users().ByID(ctx(t), b.ID)
	require.NoError(t, err)
	assert.Equal(t, normUser(b), normUser(got), "a refused update changes nothing")

	// Changing the case of one's own email is not a clash.
	c = *b
	c.Email = "BOB@example.com"
	assert.NoError(t, replaceUser(st, &c))
}

func testUserUpdateNotFound(t *testing.T, st store.Store) {
	for _, id := range []string{missingID, badID} {
		u := fullUser()
		u.ID = id
		isErr(t, replaceUser(st, u), store.ErrUserNotFound, id)
	}
	_, err := st.Users().ByEmail(ctx(t), "ada@example.com")
	isErr(t, err, store.ErrUserNotFound, "Update does not insert")
}

func testUserSetLastLogin(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	at := base.Add(90 * time.Minute)
	require.NoError(t, st.Users().SetLastLogin(ctx(t), u.ID, at))
	got, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	if assert.NotNil(t, got.LastLoginAt) {
		sameTime(t, at, *got.LastLoginAt)
	}
	got, err = st.Users().ByID(ctx(t), b.ID)
	require.NoError(t, err)
	assert.Nil(t, got.LastLoginAt, "other users untouched")

	for _, id := range []string{missingID, badID} {
		isErr(t, st.Users().SetLastLogin(ctx(t), id, at), store.ErrUserNotFound, id)
	}
}

func testUserDelete(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	keep := newUser(t, st, "bob")
	c := ctx(t)

	// Give u something of every kind.
	s := newSession(t, st, u.ID, base, time.Hour)
	rt := &store.RefreshToken{SessionID: s.ID, UserID: u.ID, Hash: []byte("rt-ada"), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	require.NoError(t, st.RefreshTokens().Create(c, rt))
	ot := &store.OneTimeToken{UserID: u.ID, Purpose: store.PurposeVerifyEmail, Hash: []byte("ot-ada"), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	require.NoError(t, st.OneTimeTokens().Create(c, ot))
	role, err := st.Roles().ByName(c, store.RoleModerator)
	require.NoError(t, err)
	require.NoError(t, st.Roles().Assign(c, u.ID, role.ID, base))
	require.NoError(t, st.Roles().Assign(c, keep.ID, role.ID, base))
	require.NoError(t, st.Users().AddPasswordHistory(c, store.PasswordHistoryEntry{UserID: u.ID, Hash: "old", CreatedAt: base}))
	require.NoError(t, st.TwoFactor().Put(c, &store.TwoFactor{UserID: u.ID, Method: store.MethodTOTP, Secret: []byte("s"), CreatedAt: base, UpdatedAt: base}))
	require.NoError(t, st.TwoFactor().ReplaceBackupCodes(c, u.ID, []store.BackupCode{{Hash: []byte("bc-ada"), CreatedAt: base}}))
	require.NoError(t, st.Notifications().Create(c, &store.Notification{UserID: u.ID, Type: "t", Title: "hi", Body: "b", CreatedAt: base}))
	_, err = st.Avatars().Put(c, &store.Avatar{UserID: u.ID, ContentType: "image/png", Size: 1, Width: 1, Height: 1, CreatedAt: base})
	require.NoError(t, err)
	entry := &store.AuditEntry{ActorID: u.ID, Action: "auth.login", Outcome: store.OutcomeSuccess, CreatedAt: base}
	require.NoError(t, st.Audit().Record(c, entry))

	require.NoError(t, st.Users().Delete(c, u.ID))

	_, err = st.Users().ByID(c, u.ID)
	isErr(t, err, store.ErrUserNotFound)
	_, err = st.Users().ByEmail(c, u.Email)
	isErr(t, err, store.ErrUserNotFound)
	_, err = st.Sessions().ByID(c, s.ID)
	isErr(t, err, store.ErrSessionNotFound, "sessions go with the user")
	_, err = st.RefreshTokens().ByHash(c, rt.Hash)
	isErr(t, err, store.ErrInvalidRefreshToken, "refresh tokens go with the user")
	_, err = st.OneTimeTokens().ByHash(c, ot.Purpose, ot.Hash)
	isErr(t, err, store.ErrInvalidToken, "one-time tokens go with the user")
	n, err := st.Roles().CountUsers(c, role.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "role assignments go with the user")
	hist, err := st.Users().PasswordHistory(c, u.ID, 10)
	if err == nil {
		assert.Empty(t, hist, "password history goes with the user")
	} else {
		isErr(t, err, store.ErrUserNotFound)
	}
	_, err = st.TwoFactor().Get(c, u.ID)
	isErr(t, err, store.ErrNotFound, "2FA goes with the user")
	left, err := st.TwoFactor().BackupCodesRemaining(c, u.ID)
	require.NoError(t, err)
	assert.Zero(t, left, "backup codes go with the user")
	unread, err := st.Notifications().CountUnread(c, u.ID)
	require.NoError(t, err)
	assert.Zero(t, unread, "notifications go with the user")
	_, err = st.Avatars().ByUser(c, u.ID)
	isErr(t, err, store.ErrNotFound, "the avatar goes with the user")
	entries, err := listAudit(t, st, store.AuditFilter{ActorID: u.ID})
	require.NoError(t, err)
	if assert.Len(t, entries, 1, "audit entries stay") {
		assert.Equal(t, entry.ID, entries[0].ID)
	}

	_, err = st.Users().ByID(c, keep.ID)
	assert.NoError(t, err, "other users stay")

	for _, id := range []string{u.ID, missingID, badID} {
		isErr(t, st.Users().Delete(c, id), store.ErrUserNotFound, id)
	}
}

func testUserPasswordHistory(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	b := newUser(t, st, "bob")
	c := ctx(t)

	// Written out of order: the store orders by CreatedAt.
	for _, i := range []int{2, 0, 4, 1, 3} {
		e := store.PasswordHistoryEntry{UserID: u.ID, Hash: fmt.Sprintf("h%d", i), CreatedAt: base.Add(time.Duration(i) * time.Hour)}
		require.NoError(t, st.Users().AddPasswordHistory(c, e))
	}
	require.NoError(t, st.Users().AddPasswordHistory(c, store.PasswordHistoryEntry{UserID: b.ID, Hash: "bob", CreatedAt: base.Add(9 * time.Hour)}))

	got, err := st.Users().PasswordHistory(c, u.ID, 3)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, e := range got {
		want := 4 - i
		assert.Equal(t, fmt.Sprintf("h%d", want), e.Hash)
		assert.Equal(t, u.ID, e.UserID)
		sameTime(t, base.Add(time.Duration(want)*time.Hour), e.CreatedAt)
	}
	all, err := st.Users().PasswordHistory(c, u.ID, 100)
	require.NoError(t, err)
	assert.Len(t, all, 5, "only the user's own entries")

	none, err := st.Users().PasswordHistory(c, missingID, 5)
	require.NoError(t, err)
	assert.Empty(t, none)
	none, err = st.Users().PasswordHistory(c, badID, 5)
	if err != nil {
		isErr(t, err, store.ErrUserNotFound, "an id that is not a UUID")
	}
	assert.Empty(t, none)

	for _, id := range []string{missingID, badID} {
		err := st.Users().AddPasswordHistory(c, store.PasswordHistoryEntry{UserID: id, Hash: "x", CreatedAt: base})
		isErr(t, err, store.ErrUserNotFound, id)
	}
}

func testUserConcurrentSameEmail(t *testing.T, st store.Store) {
	const n = 20
	errs := parallel(n, func(i int) error {
		email := "race@example.com"
		if i%2 == 1 {
			email = strings.ToUpper(email)
		}
		if i%3 == 2 {
			email = "Race@Example.com"
		}
		return st.Users().Create(ctx(t), &store.User{Email: email, Username: fmt.Sprintf("racer%d", i), CreatedAt: base, UpdatedAt: base})
	})
	ok, taken := tally(t, errs, store.ErrEmailTaken)
	assert.Equal(t, 1, ok, "exactly one sign-up wins")
	assert.Equal(t, n-1, taken, "the others get ErrEmailTaken")
	_, err := st.Users().ByEmail(ctx(t), "RACE@example.com")
	assert.NoError(t, err)
}

// replaceUser writes every field of w over the stored row, through the one
// Update the store offers.
func replaceUser(st store.Repos, w *store.User) error {
	_, err := st.Users().Update(context.Background(), w.ID, func(u *store.User) error {
		created := u.CreatedAt
		*u = *w
		u.CreatedAt = created
		return nil
	})
	return err
}

func testUserUpdateFnError(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	boom := errors.New("boom")
	_, err := st.Users().Update(ctx(t), u.ID, func(u *store.User) error {
		u.Bio = "written?"
		return boom
	})
	assert.ErrorIs(t, err, boom, "fn's error comes back as is")
	got, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Bio, "nothing is written when fn fails")
}

// testUserUpdateKeepsConcurrentChange is the stale-copy bug: a service
// read the user, did slow work (hashing a password), and wrote its copy
// back, undoing a suspension made meanwhile. Update starts from the row as
// it is and writes only what fn changed.
func testUserUpdateKeepsConcurrentChange(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	stale, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)

	// Meanwhile an admin suspends the account.
	_, err = st.Users().Update(ctx(t), u.ID, func(u *store.User) error {
		u.Status, u.SuspendedReason = store.StatusSuspended, "abuse"
		return nil
	})
	require.NoError(t, err)

	// The slow path now writes the one field it changed.
	got, err := st.Users().Update(ctx(t), u.ID, func(u *store.User) error {
		assert.Equal(t, store.StatusSuspended, u.Status, "fn sees the row as it is now")
		u.PasswordHash = stale.PasswordHash + "-new"
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, store.StatusSuspended, got.Status)
	again, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, store.StatusSuspended, again.Status, "the suspension survives")
	assert.Equal(t, "abuse", again.SuspendedReason)
	assert.Equal(t, stale.PasswordHash+"-new", again.PasswordHash)
}

// testUserUpdateSerialises runs read-modify-writes of one row in parallel:
// the row lock makes each see the previous one's result, so none is lost.
func testUserUpdateSerialises(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Users().Update(context.Background(), u.ID, func(u *store.User) error {
				u.Bio += "x"
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("x", n), got.Bio, "no update is lost")
}

func testUserUpdateInTx(t *testing.T, st store.Store) {
	u := newUser(t, st, "ada")
	boom := errors.New("later step failed")
	err := st.InTx(ctx(t), func(tx store.Repos) error {
		if _, err := tx.Users().Update(ctx(t), u.ID, func(u *store.User) error {
			u.Bio = "in tx"
			return nil
		}); err != nil {
			return err
		}
		return boom
	})
	assert.ErrorIs(t, err, boom)
	got, err := st.Users().ByID(ctx(t), u.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Bio, "an update inside a transaction rolls back with it")
}
