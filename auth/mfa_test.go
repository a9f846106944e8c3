package auth_test

import (
	"context"
	"crypto/rand"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/lockkey"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/twofa"
)

// These tests drive the login challenge with the real twofa service on a
// real store; their helpers carry an mfa prefix.

var mfaStart = time.Date(2031, 5, 6, 7, 8, 10, 0, time.UTC)

const mfaPassword = "Quartz-Meadow-Lantern-77"

// mfaHOTP is the current TOTP code of a base32 secret, computed
// independently of the code under test.
func mfaHOTP(t testing.TB, secretB32 string, at time.Time) string {
	t.Helper()
	return testkit.TOTP(t, secretB32, at, 0)
}

type mfaEnv struct {
	t     *testing.T
	st    *bunstore.Store
	clock *testkit.Clock
	async *notify.Async
	box   *testkit.Mailbox
	svc   *auth.Service
	tf    *twofa.Service
}

func newMFAEnv(t *testing.T, st *bunstore.Store) *mfaEnv {
	t.Helper()
	e := &mfaEnv{t: t, st: st, clock: testkit.NewClock(mfaStart), box: &testkit.Mailbox{}}
	e.async = notify.NewAsync(e.box, nil, 4, time.Second)
	t.Cleanup(e.async.Close)
	log := audit.New(st, e.clock.Now)
	passwords := auth.Passwords{Preferred: auth.Bcrypt{Cost: 4}}
	key := make([]byte, twofa.KeySize)
	_, _ = rand.Read(key)
	var err error
	e.tf, err = twofa.New(twofa.Config{Store: st, Audit: log, Mail: e.async, Passwords: passwords,
		Key: key, Now: e.clock.Now, RecentAuth: twofa.ReauthenticatorFunc(func(ctx context.Context, password string) error {
			return e.svc.RequireRecentAuth(ctx, password)
		})})
	require.NoError(t, err)
	e.svc = e.service(e.tf)
	return e
}

func (e *mfaEnv) service(sf auth.SecondFactor) *auth.Service {
	e.t.Helper()
	return newTestService(e.t, e.st, e.clock, e.box, func(c *auth.Config) { c.SecondFactor = sf })
}

func mfaCtx() context.Context {
	return store.NewContextWithRequest(context.Background(), store.Request{ID: "req-mfa", IP: "198.51.100.4", UserAgent: "test"})
}

// user registers an account and turns TOTP on; it returns the user and
// the secret, with the clock one step past the code that enabled it.
func (e *mfaEnv) user(email string) (*store.User, string, twofa.BackupCodes) {
	e.t.Helper()
	ctx := mfaCtx()
	u, err := e.svc.Register(ctx, auth.Registration{Email: email, Password: mfaPassword})
	require.NoError(e.t, err)
	// Enrolling needs a recent authentication: the user's password here.
	ctx = store.NewContextWithActor(ctx, store.Actor{UserID: u.ID})
	en, err := e.tf.Setup(ctx, u.ID, mfaPassword, store.MethodTOTP)
	require.NoError(e.t, err)
	codes, err := e.tf.Enable(ctx, u.ID, mfaPassword, mfaHOTP(e.t, en.Secret, e.clock.Now()))
	require.NoError(e.t, err)
	e.clock.Advance(30 * time.Second)
	return u, en.Secret, codes
}

func (e *mfaEnv) challenge(t testing.TB, ident string) *auth.MFAChallenge {
	t.Helper()
	res, err := e.svc.Login(mfaCtx(), auth.Credentials{Identifier: ident, Password: mfaPassword, DeviceName: "Work laptop"})
	require.NoError(t, err)
	require.Nil(t, res.Tokens, "no tokens before the second factor")
	require.NotNil(t, res.MFA)
	return res.MFA
}

func (e *mfaEnv) lastCode(addr string) string {
	e.t.Helper()
	e.async.Close()
	// Mail goes out in the background, so the notice that Enable sends may
	// arrive after a later code: take the newest message that has one.
	code := ""
	// Background mail arrives in any order (the verification mail may come
	// after the code): take the newest message that has a code.
	for _, m := range e.box.MessagesTo(addr) {
		if c := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(m.Text); c != "" {
			code = c
		}
	}
	require.NotEmpty(e.t, code)
	return code
}

func mfaRequireCode(t testing.TB, want *store.Error, err error, msg ...any) {
	t.Helper()
	require.Error(t, err, msg...)
	require.Equal(t, want.Code, store.AsError(err).Code, "%v %v", err, msg)
}

func TestLoginMFA(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newMFAEnv(t, st)
		ctx := mfaCtx()
		u, secret, codes := e.user("ada@example.com")

		t.Run("Challenge", func(t *testing.T) {
			ch := e.challenge(t, "ada@example.com")
			assert.Equal(t, []string{"totp"}, ch.Methods)
			assert.Len(t, ch.Token, 43, "256 bits, base64url")
			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "auth.login", TargetID: u.ID}, store.ListRequest{Limit: store.MaxLimit})
			rows := page.Items
			require.NoError(t, err)
			require.NotEmpty(t, rows)
			assert.Equal(t, "required", rows[0].Metadata["mfa"])
		})
		t.Run("Code", func(t *testing.T) {
			ch := e.challenge(t, "ada@example.com")
			res, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: ch.Token, Code: mfaHOTP(t, secret, e.clock.Now())})
			require.NoError(t, err)
			require.NotNil(t, res.Tokens)
			assert.NotEmpty(t, res.Tokens.AccessToken)
			sess, err := st.Sessions().ByID(ctx, res.Tokens.SessionID)
			require.NoError(t, err)
			assert.Equal(t, "Work laptop", sess.DeviceName, "the session keeps what the login said")
			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "auth.login_2fa", TargetID: u.ID}, store.ListRequest{Limit: store.MaxLimit})
			rows := page.Items
			require.NoError(t, err)
			assert.Len(t, rows, 1)

			_, err = e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: ch.Token, Code: mfaHOTP(t, secret, e.clock.Now())})
			mfaRequireCode(t, store.ErrMFATokenInvalid, err, "the token is single use")
		})
		t.Run("SameCodeTwice", func(t *testing.T) {
			e.clock.Advance(30 * time.Second)
			code := mfaHOTP(t, secret, e.clock.Now())
			_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, Code: code})
			require.NoError(t, err)
			_, err = e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, Code: code})
			mfaRequireCode(t, store.ErrInvalidCode, err)
		})
		t.Run("BackupCode", func(t *testing.T) {
			res, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, BackupCode: codes[0]})
			require.NoError(t, err)
			assert.NotNil(t, res.Tokens)
			_, err = e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, BackupCode: codes[0]})
			mfaRequireCode(t, store.ErrInvalidCode, err)
		})
		t.Run("Expired", func(t *testing.T) {
			ch := e.challenge(t, "ada@example.com")
			e.clock.Advance(5 * time.Minute)
			_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: ch.Token, Code: mfaHOTP(t, secret, e.clock.Now())})
			mfaRequireCode(t, store.ErrMFATokenInvalid, err)
		})
		t.Run("Validation", func(t *testing.T) {
			_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{})
			mfaRequireCode(t, store.ErrValidation, err)
			_, err = e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: "x", Code: "123456", BackupCode: "ABCD-EFGH"})
			mfaRequireCode(t, store.ErrValidation, err)
			_, err = e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: "no-such-token", Code: "123456"})
			mfaRequireCode(t, store.ErrMFATokenInvalid, err)
		})
		t.Run("Fingerprint", func(t *testing.T) {
			e.clock.Advance(30 * time.Second)
			res, err := e.svc.Login(ctx, auth.Credentials{Identifier: "ada@example.com", Password: mfaPassword, Fingerprint: "device-1"})
			require.NoError(t, err)
			code := mfaHOTP(t, secret, e.clock.Now())
			_, err = e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: res.MFA.Token, Code: code})
			mfaRequireCode(t, store.ErrMFATokenInvalid, err, "without the fingerprint of the login")
			_, err = e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: res.MFA.Token, Code: code, Fingerprint: "device-2"})
			mfaRequireCode(t, store.ErrMFATokenInvalid, err, "with another fingerprint")
			done, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: res.MFA.Token, Code: code, Fingerprint: "device-1"})
			require.NoError(t, err)
			_, err = e.svc.Authenticate(ctx, done.Tokens.AccessToken, "")
			mfaRequireCode(t, store.ErrUnauthenticated, err, "the session is bound to the login's device")
			_, err = e.svc.Authenticate(ctx, done.Tokens.AccessToken, "device-1")
			require.NoError(t, err)
		})
	})
}

func TestLoginMFAWrongCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newMFAEnv(t, st)
		ctx := mfaCtx()
		u, secret, _ := e.user("ada@example.com")

		t.Run("TokenDiesAfterFive", func(t *testing.T) {
			ch := e.challenge(t, "ada@example.com")
			for i := range 5 {
				_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: ch.Token, Code: "000000"})
				mfaRequireCode(t, store.ErrInvalidCode, err, "wrong code %d", i+1)
			}
			_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: ch.Token, Code: mfaHOTP(t, secret, e.clock.Now())})
			mfaRequireCode(t, store.ErrMFATokenInvalid, err)

			page, err := st.Audit().List(ctx, store.AuditFilter{Action: "2fa.verify", TargetID: u.ID, Outcome: store.OutcomeFailure}, store.ListRequest{Limit: store.MaxLimit})
			rows := page.Items
			require.NoError(t, err)
			assert.Len(t, rows, 5, "every wrong code is audited")
		})
		t.Run("CountTowardsLockout", func(t *testing.T) {
			_, err := e.svc.Login(ctx, auth.Credentials{Identifier: "ada@example.com", Password: mfaPassword})
			mfaRequireCode(t, store.ErrAccountLocked, err, "five wrong codes lock the account")
			e.clock.Advance(16 * time.Minute)
			e.challenge(t, "ada@example.com")
		})
		t.Run("SigningInAgainDoesNotReset", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			for range 4 {
				_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, Code: "000000"})
				mfaRequireCode(t, store.ErrInvalidCode, err)
			}
			// A fresh challenge after a correct password: the count goes on.
			_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, Code: "000000"})
			mfaRequireCode(t, store.ErrInvalidCode, err)
			_, err = e.svc.Login(ctx, auth.Credentials{Identifier: "ada@example.com", Password: mfaPassword})
			mfaRequireCode(t, store.ErrAccountLocked, err)
		})
		t.Run("RightCodeClearsCount", func(t *testing.T) {
			e.clock.Advance(2 * time.Hour)
			for range 3 {
				_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, Code: "000000"})
				mfaRequireCode(t, store.ErrInvalidCode, err)
			}
			_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: e.challenge(t, "ada@example.com").Token, Code: mfaHOTP(t, secret, e.clock.Now())})
			require.NoError(t, err)
			f, err := st.Lockout().Failures(ctx, lockkey.MFA(u.ID))
			require.NoError(t, err)
			assert.Zero(t, f.Count)
		})
		t.Run("ParallelGuessesStayWithinThreshold", func(t *testing.T) {
			e.clock.Advance(time.Hour)
			tokens := make([]string, 3)
			for i := range tokens {
				tokens[i] = e.challenge(t, "ada@example.com").Token
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			checked := 0
			for i := range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: tokens[i%3], Code: "000000"})
					if store.AsError(err).Code == store.ErrInvalidCode.Code {
						mu.Lock()
						checked++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			assert.LessOrEqual(t, checked, 5, "codes checked beyond the lockout threshold")
		})
	})
}

func TestLoginMFAEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newMFAEnv(t, st)
		ctx := mfaCtx()
		u, err := e.svc.Register(ctx, auth.Registration{Email: "bea@example.com", Password: mfaPassword})
		require.NoError(t, err)
		ctx = store.NewContextWithActor(ctx, store.Actor{UserID: u.ID})
		_, err = e.tf.Setup(ctx, u.ID, mfaPassword, store.MethodEmail)
		require.NoError(t, err)
		_, err = e.tf.Enable(ctx, u.ID, mfaPassword, e.lastCode("bea@example.com"))
		require.NoError(t, err)

		ch := e.challenge(t, "bea@example.com")
		assert.Equal(t, []string{"email"}, ch.Methods)
		_, err = e.svc.SendMFACode(ctx, ch.Token, "sms")
		mfaRequireCode(t, store.ErrMFANotEnabled, err)
		_, err = e.svc.SendMFACode(ctx, ch.Token, "totp")
		mfaRequireCode(t, store.ErrValidation, err)
		_, err = e.svc.SendMFACode(ctx, "bogus", "email")
		mfaRequireCode(t, store.ErrMFATokenInvalid, err)

		sentTo, err := e.svc.SendMFACode(ctx, ch.Token, "email")
		require.NoError(t, err)
		assert.Equal(t, "b***@example.com", sentTo)
		res, err := e.svc.CompleteMFA(ctx, auth.MFAAttempt{Token: ch.Token, Code: e.lastCode("bea@example.com")})
		require.NoError(t, err)
		assert.NotNil(t, res.Tokens)
	})
}

func TestLoginMFAFailsClosed(t *testing.T) {
	st := dbtest.SQLite(t)
	e := newMFAEnv(t, st)
	e.user("ada@example.com")
	without := e.service(nil)
	res, err := without.Login(mfaCtx(), auth.Credentials{Identifier: "ada@example.com", Password: mfaPassword})
	require.Error(t, err)
	assert.Nil(t, res)
	mfaRequireCode(t, store.ErrInternal, err)
}
