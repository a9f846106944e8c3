package twofa_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"image"
	_ "image/png"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/internal/lockkey"
	"github.com/usermgmt/usermgmt/internal/testkit"
	"github.com/usermgmt/usermgmt/notify"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/twofa"
)

// tfStart is where the clock starts: a whole TOTP step plus 10 seconds.
var tfStart = time.Date(2031, 5, 6, 7, 8, 10, 0, time.UTC)

const tfPassword = "Quartz-Meadow-Lantern-77"

// tfTOTP is the code of a base32 secret at t, shifted by steps, computed
// independently of the package.
func tfTOTP(t testing.TB, secretB32 string, at time.Time, steps int64) string {
	t.Helper()
	return testkit.TOTP(t, secretB32, at, steps)
}

var tfCodeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

type tfEnv struct {
	t     *testing.T
	st    *bunstore.Store
	clock *testkit.Clock
	out   *testkit.Mailbox
	async *notify.Async
	svc   *twofa.Service
	key   []byte
}

func newTFEnv(t *testing.T, st *bunstore.Store, edit func(*twofa.Config)) *tfEnv {
	t.Helper()
	e := &tfEnv{t: t, st: st, clock: testkit.NewClock(tfStart), out: &testkit.Mailbox{}}
	e.async = notify.NewAsync(e.out, nil, 4, time.Second)
	t.Cleanup(e.async.Close)
	e.key = make([]byte, twofa.KeySize)
	_, _ = rand.Read(e.key)
	e.svc = e.service(func(c *twofa.Config) {
		c.Key = e.key
		if edit != nil {
			edit(c)
		}
	})
	return e
}

// service returns another Service on the same store, clock and outbox.
func (e *tfEnv) service(edit func(*twofa.Config)) *twofa.Service {
	e.t.Helper()
	cfg := twofa.Config{
		Store: e.st, Audit: audit.New(e.st, e.clock.Now), Mail: e.async,
		SMS: e.out, Passwords: auth.Passwords{Preferred: auth.Bcrypt{Cost: 4}},
		Issuer: "Acme", Now: e.clock.Now, RecentAuth: recentEnough,
	}
	if edit != nil {
		edit(&cfg)
	}
	svc, err := twofa.New(cfg)
	require.NoError(e.t, err)
	return svc
}

// recentEnough lets every enrolment through: these tests are about the
// codes; reauth_test.go and the auth package test the check itself.
var recentEnough = twofa.ReauthenticatorFunc(func(context.Context, string) error { return nil })

func (e *tfEnv) user(name string) *store.User {
	e.t.Helper()
	hash, err := auth.Bcrypt{Cost: 4}.Hash(tfPassword)
	require.NoError(e.t, err)
	u := &store.User{
		Email: name + "@example.com", Username: name, PasswordHash: hash, Status: store.StatusActive,
		Visibility: store.VisibilityPublic, Preferences: store.DefaultPreferences(),
		CreatedAt: tfStart, UpdatedAt: tfStart,
	}
	require.NoError(e.t, e.st.Users().Create(context.Background(), u))
	return u
}

func (e *tfEnv) reload(id string) *store.User {
	e.t.Helper()
	u, err := e.st.Users().ByID(context.Background(), id)
	require.NoError(e.t, err)
	return u
}

// flush waits for background sends.
// flush delivers the mail the service wrote to the outbox, as
// Manager.Run does, and waits for background mail (codes, texts).
func (e *tfEnv) flush() {
	e.t.Helper()
	d, err := events.NewDispatcher(events.DispatcherConfig{Store: e.st, Now: e.clock.Now, MaxAttempts: 1,
		Jobs: map[store.EventName]events.Job{notify.JobMail: notify.MailJob(e.out)}})
	require.NoError(e.t, err)
	_, err = d.Deliver(context.Background())
	require.NoError(e.t, err)
	e.async.Close()
}

func (e *tfEnv) mailsTo(addr string) []notify.Message {
	e.flush()
	return e.out.MessagesTo(addr)
}

// lastCode is the code in the newest mail or text to addr.
func (e *tfEnv) lastCode(addr string) string {
	e.t.Helper()
	e.flush()
	// Mail goes out in the background, so a notice sent just before may
	// arrive after the code: take the newest message that carries one.
	code := ""
	for _, m := range e.out.MessagesTo(addr) {
		if c := tfCodeRE.FindString(m.Text); c != "" {
			code = c
		}
	}
	for _, s := range e.out.TextsTo(addr) {
		if c := tfCodeRE.FindString(s.Body); c != "" {
			code = c
		}
	}
	require.NotEmpty(e.t, code, "no code sent to %s", addr)
	return code
}

func (e *tfEnv) auditRows(action, target string, outcome store.Outcome) []store.AuditEntry {
	e.t.Helper()
	page, err := e.st.Audit().List(context.Background(), store.AuditFilter{Action: action, TargetID: target, Outcome: outcome},
		store.ListRequest{Limit: store.MaxLimit})
	require.NoError(e.t, err)
	return page.Items
}

// enableTOTP sets up and enables TOTP for u and returns the secret and
// the backup codes. The clock moves one step on, so the code used here is
// not the current one.
func (e *tfEnv) enableTOTP(u *store.User) (string, twofa.BackupCodes) {
	e.t.Helper()
	ctx := context.Background()
	en, err := e.svc.Setup(ctx, u.ID, "", store.MethodTOTP)
	require.NoError(e.t, err)
	codes, err := e.svc.Enable(ctx, u.ID, "", tfTOTP(e.t, en.Secret, e.clock.Now(), 0))
	require.NoError(e.t, err)
	e.clock.Advance(30 * time.Second)
	return en.Secret, codes
}

func tfRequireCode(t testing.TB, want *store.Error, err error, msg ...any) {
	t.Helper()
	require.Error(t, err, msg...)
	require.True(t, store.AsError(err).Code == want.Code, "want %s, got %v %v", want.Code, err, msg)
}

func TestTOTPEnrolment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFEnv(t, st, nil)
		ctx := context.Background()
		u := e.user("ada")

		en, err := e.svc.Setup(ctx, u.ID, "", store.MethodTOTP)
		require.NoError(t, err)

		t.Run("Secret", func(t *testing.T) {
			raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
			require.NoError(t, err)
			assert.Len(t, raw, 20, "160 bits")
		})
		t.Run("URL", func(t *testing.T) {
			link, err := url.Parse(en.URL)
			require.NoError(t, err)
			assert.Equal(t, "otpauth", link.Scheme)
			assert.Equal(t, "totp", link.Host)
			assert.Equal(t, "/Acme:ada@example.com", link.Path)
			q := link.Query()
			assert.Equal(t, en.Secret, q.Get("secret"))
			assert.Equal(t, "Acme", q.Get("issuer"))
			assert.Equal(t, "30", q.Get("period"))
			assert.Equal(t, "6", q.Get("digits"))
			assert.Equal(t, "SHA1", q.Get("algorithm"))
		})
		t.Run("QRCode", func(t *testing.T) {
			b64, ok := strings.CutPrefix(en.QRCode, "data:image/png;base64,")
			require.True(t, ok, en.QRCode[:40])
			png, err := base64.StdEncoding.DecodeString(b64)
			require.NoError(t, err)
			img, format, err := image.Decode(bytes.NewReader(png))
			require.NoError(t, err)
			assert.Equal(t, "png", format)
			assert.Equal(t, 256, img.Bounds().Dx())
		})
		t.Run("StillOff", func(t *testing.T) {
			s, err := e.svc.Status(ctx, u.ID)
			require.NoError(t, err)
			assert.False(t, s.Enabled)
			assert.False(t, e.reload(u.ID).TwoFactorEnabled)
		})
		t.Run("SealedAtRest", func(t *testing.T) {
			raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
			row, err := st.TwoFactor().Get(ctx, u.ID)
			require.NoError(t, err)
			assert.False(t, row.Enabled)
			assert.False(t, bytes.Contains(row.Secret, raw), "secret stored in the clear")
			assert.False(t, bytes.Contains(row.Secret, []byte(en.Secret)), "base32 secret stored in the clear")
			assert.Len(t, row.Secret, 1+12+20+16, "version, nonce, ciphertext, tag")
		})
		t.Run("MovedSecretDoesNotOpen", func(t *testing.T) {
			b := e.user("mallory")
			_, err := e.svc.Setup(ctx, b.ID, "", store.MethodTOTP)
			require.NoError(t, err)
			row, err := st.TwoFactor().Get(ctx, u.ID)
			require.NoError(t, err)
			// Mallory's row gets Ada's sealed secret: Ada's codes must not
			// work for it.
			row.UserID = b.ID
			require.NoError(t, st.TwoFactor().Put(ctx, row))
			_, err = e.svc.Enable(ctx, b.ID, "", tfTOTP(t, en.Secret, e.clock.Now(), 0))
			require.Error(t, err)
			assert.NotEqual(t, store.ErrAccountLocked.Code, store.AsError(err).Code)
			assert.False(t, e.reload(b.ID).TwoFactorEnabled)
		})
		t.Run("WrongCode", func(t *testing.T) {
			_, err := e.svc.Enable(ctx, u.ID, "", "000000")
			tfRequireCode(t, store.ErrInvalidCode, err)
			assert.Len(t, e.auditRows("2fa.enable", u.ID, store.OutcomeFailure), 1)
		})
		t.Run("Enable", func(t *testing.T) {
			codes, err := e.svc.Enable(ctx, u.ID, "", tfTOTP(t, en.Secret, e.clock.Now(), 0))
			require.NoError(t, err)
			require.Len(t, codes, 10)
			seen := map[string]bool{}
			for _, c := range codes {
				assert.Regexp(t, `^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$`, c)
				seen[c] = true
			}
			assert.Len(t, seen, 10)

			s, err := e.svc.Status(ctx, u.ID)
			require.NoError(t, err)
			assert.Equal(t, twofa.Status{Enabled: true, Method: store.MethodTOTP, BackupCodesRemaining: 10}, s)
			got := e.reload(u.ID)
			assert.True(t, got.TwoFactorEnabled)
			assert.Equal(t, "totp", got.TwoFactorMethod)
			assert.Len(t, e.auditRows("2fa.enable", u.ID, store.OutcomeSuccess), 1)

			notices := e.mailsTo("ada@example.com")
			require.NotEmpty(t, notices)
			assert.Contains(t, notices[len(notices)-1].Subject, "turned on")

			_, err = e.svc.Enable(ctx, u.ID, "", tfTOTP(t, en.Secret, e.clock.Now(), 0))
			tfRequireCode(t, store.ErrMFAAlreadyEnabled, err)
			_, err = e.svc.Setup(ctx, u.ID, "", store.MethodEmail)
			tfRequireCode(t, store.ErrMFAAlreadyEnabled, err)
		})
	})
}

func TestTOTPCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFEnv(t, st, nil)
		ctx := context.Background()
		u := e.user("ada")
		secret, _ := e.enableTOTP(u)

		t.Run("OnceOnly", func(t *testing.T) {
			code := tfTOTP(t, secret, e.clock.Now(), 0)
			require.NoError(t, e.svc.Check(ctx, u, code))
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Check(ctx, u, code))
			e.clock.Advance(10 * time.Second) // same step still
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Check(ctx, u, code))
		})
		t.Run("OneStepDrift", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute)
			require.NoError(t, e.svc.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), -1)), "one step behind")
			e.clock.Advance(5 * time.Minute)
			require.NoError(t, e.svc.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 1)), "one step ahead")
			// The step ahead was used: the current one is now in the past.
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 0)))
		})
		t.Run("TwoStepsOld", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute)
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), -2)))
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 2)))
		})
		t.Run("Malformed", func(t *testing.T) {
			// The wrong codes above locked the second factor.
			require.NoError(t, st.Lockout().Reset(ctx, lockkey.MFA(u.ID)))
			for _, c := range []string{"", "12345", "abcdef", "1234567"} {
				tfRequireCode(t, store.ErrInvalidCode, e.svc.Check(ctx, u, c))
			}
		})
		t.Run("ParallelSameCode", func(t *testing.T) {
			require.NoError(t, st.Lockout().Reset(ctx, lockkey.MFA(u.ID)))
			code := tfTOTP(t, secret, e.clock.Now(), 0)
			ok := parallel(4, func() error { return e.svc.Check(ctx, u, code) })
			assert.Equal(t, 1, ok, "exactly one of the parallel uses wins")
		})
		t.Run("StepUp", func(t *testing.T) {
			e.clock.Advance(time.Minute)
			sess := &store.Session{UserID: u.ID, CreatedAt: e.clock.Now(), LastSeenAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour)}
			require.NoError(t, st.Sessions().Create(ctx, sess))
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Verify(ctx, u.ID, sess.ID, "000000"))
			require.NoError(t, e.svc.Verify(ctx, u.ID, sess.ID, tfTOTP(t, secret, e.clock.Now(), 0)))
			got, err := st.Sessions().ByID(ctx, sess.ID)
			require.NoError(t, err)
			require.NotNil(t, got.MFAVerifiedAt)
			assert.Equal(t, e.clock.Now(), got.MFAVerifiedAt.UTC())
			assert.NotEmpty(t, e.auditRows("2fa.verify", u.ID, store.OutcomeSuccess))
			assert.NotEmpty(t, e.auditRows("2fa.verify", u.ID, store.OutcomeFailure))
		})
	})
}

// parallel runs fn n times at once and counts the nil results.
func parallel(n int, fn func() error) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if fn() == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	return ok
}

func TestBackupCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFEnv(t, st, nil)
		ctx := context.Background()
		u := e.user("ada")
		_, codes := e.enableTOTP(u)

		t.Run("HashedAtRest", func(t *testing.T) {
			var hashes [][]byte
			err := st.DB().NewSelect().Table("backup_codes").Column("hash").Where("user_id = ?", u.ID).Scan(ctx, &hashes)
			require.NoError(t, err)
			require.Len(t, hashes, 10)
			for _, c := range codes {
				norm := strings.ReplaceAll(c, "-", "")
				plain := sha256.Sum256([]byte(norm))
				for _, h := range hashes {
					assert.False(t, bytes.Contains(h, []byte(norm)))
					assert.NotEqual(t, plain[:], h, "an unkeyed hash can be brute-forced from a dump")
				}
			}
		})
		t.Run("OnceEach", func(t *testing.T) {
			require.NoError(t, e.svc.CheckBackup(ctx, u, strings.ToLower(codes[0])), "any letter case")
			tfRequireCode(t, store.ErrInvalidCode, e.svc.CheckBackup(ctx, u, codes[0]))
			n, err := e.svc.VerifyBackup(ctx, u.ID, "", strings.ReplaceAll(codes[1], "-", ""))
			require.NoError(t, err, "without the dash")
			assert.Equal(t, 8, n)
			tfRequireCode(t, store.ErrInvalidCode, e.svc.CheckBackup(ctx, u, "2222-2222"))
		})
		t.Run("ParallelUse", func(t *testing.T) {
			ok := parallel(8, func() error { return e.svc.CheckBackup(ctx, u, codes[2]) })
			assert.Equal(t, 1, ok, "exactly one of the parallel uses wins")
			s, err := e.svc.Status(ctx, u.ID)
			require.NoError(t, err)
			assert.Equal(t, 7, s.BackupCodesRemaining)
		})
		t.Run("Regenerate", func(t *testing.T) {
			e.clock.Advance(time.Hour) // past the lock of the parallel losers
			_, err := e.svc.RegenerateBackupCodes(ctx, u.ID, "wrong password")
			tfRequireCode(t, store.ErrInvalidPassword, err)
			assert.Len(t, e.auditRows("2fa.backup_codes_regenerate", u.ID, store.OutcomeDenied), 1)

			fresh, err := e.svc.RegenerateBackupCodes(ctx, u.ID, tfPassword)
			require.NoError(t, err)
			require.Len(t, fresh, 10)
			tfRequireCode(t, store.ErrInvalidCode, e.svc.CheckBackup(ctx, u, codes[5]), "the old set is spent")
			require.NoError(t, e.svc.CheckBackup(ctx, u, fresh[0]))
			s, err := e.svc.Status(ctx, u.ID)
			require.NoError(t, err)
			assert.Equal(t, 9, s.BackupCodesRemaining)
			assert.Len(t, e.auditRows("2fa.backup_codes_regenerate", u.ID, store.OutcomeSuccess), 1)
		})
	})
}

func TestLockout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFEnv(t, st, nil)
		ctx := context.Background()
		u := e.user("ada")
		secret, codes := e.enableTOTP(u)

		for range 5 {
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Verify(ctx, u.ID, "", "000000"))
		}
		// Locked: right and wrong codes alike are refused unchecked.
		err := e.svc.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 0))
		tfRequireCode(t, store.ErrAccountLocked, err)
		assert.Contains(t, store.AsError(err).Extra, "lockedUntil")
		tfRequireCode(t, store.ErrAccountLocked, e.svc.CheckBackup(ctx, u, codes[0]))
		assert.NotEmpty(t, e.auditRows("2fa.verify", u.ID, store.OutcomeFailure))

		e.clock.Advance(16 * time.Minute)
		require.NoError(t, e.svc.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 0)), "the lock ended")
		require.NoError(t, e.svc.CheckBackup(ctx, u, codes[0]), "the backup code was not spent while locked")
		f, err := st.Lockout().Failures(ctx, lockkey.MFA(u.ID))
		require.NoError(t, err)
		assert.Zero(t, f.Count, "a right code clears the count")
	})
}

func TestDisable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFEnv(t, st, nil)
		ctx := context.Background()
		u := e.user("ada")
		secret, codes := e.enableTOTP(u)

		tfRequireCode(t, store.ErrValidation, e.svc.Disable(ctx, u.ID, "", ""))
		tfRequireCode(t, store.ErrInvalidCode, e.svc.Disable(ctx, u.ID, tfPassword, "000000"))
		tfRequireCode(t, store.ErrInvalidCode, e.svc.Disable(ctx, u.ID, tfPassword, "2222-2222"))
		tfRequireCode(t, store.ErrInvalidPassword, e.svc.Disable(ctx, u.ID, "wrong", tfTOTP(t, secret, e.clock.Now(), 0)))
		assert.True(t, e.reload(u.ID).TwoFactorEnabled, "still on")
		assert.Len(t, e.auditRows("2fa.disable", u.ID, store.OutcomeFailure), 2)
		assert.Len(t, e.auditRows("2fa.disable", u.ID, store.OutcomeDenied), 1)

		require.NoError(t, e.svc.Disable(ctx, u.ID, tfPassword, codes[3]), "a backup code works too")
		got := e.reload(u.ID)
		assert.False(t, got.TwoFactorEnabled)
		assert.Empty(t, got.TwoFactorMethod)
		_, err := st.TwoFactor().Get(ctx, u.ID)
		assert.ErrorIs(t, err, store.ErrNotFound, "the enrolment is gone")
		s, err := e.svc.Status(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, twofa.Status{}, s)
		assert.Len(t, e.auditRows("2fa.disable", u.ID, store.OutcomeSuccess), 1)
		mails := e.mailsTo("ada@example.com")
		assert.Contains(t, mails[len(mails)-1].Subject, "turned off")

		tfRequireCode(t, store.ErrMFANotEnabled, e.svc.Disable(ctx, u.ID, tfPassword, "123456"))
		tfRequireCode(t, store.ErrMFANotEnabled, e.svc.Verify(ctx, u.ID, "", "123456"))
		_, err = e.svc.RegenerateBackupCodes(ctx, u.ID, tfPassword)
		tfRequireCode(t, store.ErrMFANotEnabled, err)

		t.Run("NoNoticeWhenOff", func(t *testing.T) {
			b := e.user("quiet")
			b, err := st.Users().Update(ctx, b.ID, func(u *store.User) error {
				u.Preferences.NotifySecurity = false
				return nil
			})
			require.NoError(t, err)
			e.enableTOTP(b)
			assert.Empty(t, e.mailsTo("quiet@example.com"))
		})
	})
}

func TestEmailAndSMS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newTFEnv(t, st, nil)
		ctx := context.Background()

		t.Run("Email", func(t *testing.T) {
			u := e.user("ada")
			en, err := e.svc.Setup(ctx, u.ID, "", store.MethodEmail)
			require.NoError(t, err)
			assert.Equal(t, "a***@example.com", en.SentTo)
			assert.Empty(t, en.Secret)
			code := e.lastCode("ada@example.com")

			var hashes [][]byte
			require.NoError(t, st.DB().NewSelect().Table("one_time_tokens").Column("hash").
				Where("user_id = ?", u.ID).Scan(ctx, &hashes))
			require.Len(t, hashes, 1)
			plain := sha256.Sum256([]byte(code))
			assert.NotEqual(t, plain[:], hashes[0])

			_, err = e.svc.Enable(ctx, u.ID, "", "000000")
			tfRequireCode(t, store.ErrInvalidCode, err)
			_, err = e.svc.Enable(ctx, u.ID, "", code)
			require.NoError(t, err)
			assert.Equal(t, "email", e.reload(u.ID).TwoFactorMethod)
			assert.Equal(t, []string{"email"}, e.svc.Methods(ctx, e.reload(u.ID)))

			// A login code: Send, then Check; a code works once.
			sentTo, err := e.svc.Send(ctx, e.reload(u.ID), "email")
			require.NoError(t, err)
			assert.Equal(t, "a***@example.com", sentTo)
			code = e.lastCode("ada@example.com")
			require.NoError(t, e.svc.Check(ctx, u, code))
			tfRequireCode(t, store.ErrInvalidCode, e.svc.Check(ctx, u, code))

			_, err = e.svc.Send(ctx, e.reload(u.ID), "sms")
			tfRequireCode(t, store.ErrMFANotEnabled, err)
			_, err = e.svc.Send(ctx, e.reload(u.ID), "totp")
			tfRequireCode(t, store.ErrMFANotEnabled, err)
		})
		t.Run("FiveTriesPerCode", func(t *testing.T) {
			u := e.user("bob")
			_, err := e.svc.Setup(ctx, u.ID, "", store.MethodEmail)
			require.NoError(t, err)
			code := e.lastCode("bob@example.com")
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			for range 5 {
				_, err := e.svc.Enable(ctx, u.ID, "", wrong)
				tfRequireCode(t, store.ErrInvalidCode, err)
			}
			_, err = e.svc.Enable(ctx, u.ID, "", code)
			tfRequireCode(t, store.ErrInvalidCode, err)
		})
		t.Run("Expires", func(t *testing.T) {
			u := e.user("carol")
			_, err := e.svc.Setup(ctx, u.ID, "", store.MethodEmail)
			require.NoError(t, err)
			code := e.lastCode("carol@example.com")
			e.clock.Advance(10 * time.Minute)
			_, err = e.svc.Enable(ctx, u.ID, "", code)
			tfRequireCode(t, store.ErrInvalidCode, err)
		})
		t.Run("NewCodeReplacesOld", func(t *testing.T) {
			u := e.user("dave")
			_, err := e.svc.Setup(ctx, u.ID, "", store.MethodEmail)
			require.NoError(t, err)
			first := e.lastCode("dave@example.com")
			_, err = e.svc.Setup(ctx, u.ID, "", store.MethodEmail)
			require.NoError(t, err)
			second := e.lastCode("dave@example.com")
			if first != second {
				_, err = e.svc.Enable(ctx, u.ID, "", first)
				tfRequireCode(t, store.ErrInvalidCode, err)
			}
			_, err = e.svc.Enable(ctx, u.ID, "", second)
			require.NoError(t, err)
		})
		t.Run("SMS", func(t *testing.T) {
			u := e.user("erin")
			_, err := e.svc.Setup(ctx, u.ID, "", store.MethodSMS)
			tfRequireCode(t, store.ErrValidation, err)
			assert.Equal(t, "phoneNumber", store.AsError(err).Fields[0].Field)

			_, err = st.Users().Update(ctx, u.ID, func(u *store.User) error {
				u.PhoneNumber = "+1 415 555 0123"
				return nil
			})
			require.NoError(t, err)
			en, err := e.svc.Setup(ctx, u.ID, "", store.MethodSMS)
			require.NoError(t, err)
			assert.Equal(t, "+*******0123", en.SentTo)
			code := e.lastCode("+14155550123")
			_, err = e.svc.Enable(ctx, u.ID, "", code)
			require.NoError(t, err)

			method, sentTo, err := e.svc.SendCode(ctx, u.ID)
			require.NoError(t, err)
			assert.Equal(t, store.MethodSMS, method)
			assert.Equal(t, "+*******0123", sentTo)
			require.NoError(t, e.svc.Disable(ctx, u.ID, tfPassword, e.lastCode("+14155550123")))
		})
		t.Run("UnknownMethod", func(t *testing.T) {
			u := e.user("frank")
			_, err := e.svc.Setup(ctx, u.ID, "", "carrier-pigeon")
			tfRequireCode(t, store.ErrValidation, err)
			_, err = e.svc.Enable(ctx, u.ID, "", "123456")
			tfRequireCode(t, store.ErrMFANotEnabled, err)
		})
	})
}

func TestKeys(t *testing.T) {
	st := dbtest.SQLite(t)
	ctx := context.Background()

	t.Run("WrongSize", func(t *testing.T) {
		_, err := twofa.New(twofa.Config{Store: st, Audit: audit.New(st, nil),
			Mail: notify.NewAsync(notify.NewConsoleMailer(io.Discard), nil, 1, time.Second), Key: make([]byte, 16),
			RecentAuth: recentEnough})
		require.ErrorContains(t, err, "32 bytes")
	})

	t.Run("StoreKept", func(t *testing.T) {
		e := newTFEnv(t, st, func(c *twofa.Config) { c.Key = nil })
		other := e.service(nil) // another instance, also without a key
		u := e.user("ada")
		en, err := e.svc.Setup(ctx, u.ID, "", store.MethodTOTP)
		require.NoError(t, err)
		_, err = other.Enable(ctx, u.ID, "", tfTOTP(t, en.Secret, e.clock.Now(), 0))
		require.NoError(t, err, "every instance shares the store-kept key")
		keys, err := st.SigningKeys().List(ctx, e.clock.Now())
		require.NoError(t, err)
		n := 0
		for _, k := range keys {
			if k.Algorithm == "A256GCM" {
				n++
			}
		}
		assert.Equal(t, 1, n)

		// A host that configures a key later still opens what the
		// store-kept key sealed.
		e.clock.Advance(time.Minute)
		configured := e.service(func(c *twofa.Config) { c.Key = e.key })
		require.NoError(t, configured.Check(ctx, u, tfTOTP(t, en.Secret, e.clock.Now(), 0)))
	})

	t.Run("Rotation", func(t *testing.T) {
		e := newTFEnv(t, st, nil)
		u := e.user("rota")
		secret, codes := e.enableTOTP(u)

		newKey := make([]byte, twofa.KeySize)
		_, _ = rand.Read(newKey)
		rotated := e.service(func(c *twofa.Config) { c.Key, c.PreviousKeys = newKey, [][]byte{e.key} })
		require.NoError(t, rotated.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 0)), "the previous key opens")
		require.NoError(t, rotated.CheckBackup(ctx, u, codes[0]), "backup codes hashed under the previous key match")

		// The use resealed the secret: the new key alone now opens it.
		e.clock.Advance(time.Minute)
		only := e.service(func(c *twofa.Config) { c.Key = newKey })
		require.NoError(t, only.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 0)))
		tfRequireCode(t, store.ErrInvalidCode, only.Check(ctx, u, tfTOTP(t, secret, e.clock.Now(), 0)), "resealing kept the used step")
	})
}
