package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
)

func TestServiceRegister(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()

		t.Run("OK", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			u, err := e.svc.Register(ctx, auth.Registration{
				Email: "  Alice@Example.COM ", Username: "Alice_W", Password: svcPassword,
				FirstName: "Alice", LastName: "Wonder",
			})
			require.NoError(t, err)
			assert.Equal(t, "alice@example.com", u.Email)
			assert.Equal(t, "alice_w", u.Username)
			assert.NotEqual(t, svcPassword, u.PasswordHash)

			got := e.user(u.ID)
			assert.Equal(t, "alice@example.com", got.Email)
			assert.Equal(t, "alice_w", got.Username)
			assert.Equal(t, "Alice", got.FirstName)
			assert.Equal(t, store.StatusActive, got.Status)
			assert.False(t, got.EmailVerified)
			assert.NotContains(t, got.PasswordHash, svcPassword)
			ok, err := auth.Bcrypt{}.Verify(got.PasswordHash, svcPassword)
			require.NoError(t, err)
			assert.True(t, ok)

			roles, err := st.Roles().RolesOf(context.Background(), u.ID)
			require.NoError(t, err)
			require.Len(t, roles, 1)
			assert.Equal(t, store.RoleUser, roles[0].Name)

			rows := e.auditRows(store.AuditFilter{Action: "auth.register", TargetID: u.ID})
			require.Len(t, rows, 1)
			assert.Equal(t, store.OutcomeSuccess, rows[0].Outcome)
			assert.Equal(t, u.ID, rows[0].ActorID)
			assert.Equal(t, svcIP, rows[0].IP)
			assert.Equal(t, svcChromeMac, rows[0].UserAgent)
			assert.Equal(t, svcRequestID, rows[0].RequestID)
			assert.Equal(t, svcStart, rows[0].CreatedAt.UTC())
		})

		t.Run("UsernameOptional", func(t *testing.T) {
			e := newSvcEnv(t, st, nil)
			a := e.register("nouser1@example.com", "")
			b := e.register("nouser2@example.com", "")
			assert.Empty(t, a.Username)
			assert.Empty(t, b.Username)
		})
	})
}

func TestServiceRegisterValidation(t *testing.T) {
	long101 := strings.Repeat("é", 101)
	// 64 + 1 + 189 = 254 bytes: the longest address accepted.
	email254 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"
	tests := []struct {
		name   string
		in     auth.Registration
		fields []string // nil: accepted
	}{
		{"bad email", auth.Registration{Email: "not-an-email"}, []string{"email"}},
		{"no domain dot", auth.Registration{Email: "a@localhost"}, []string{"email"}},
		{"display name", auth.Registration{Email: "Eve <eve@example.com>"}, []string{"email"}},
		{"CRLF in email", auth.Registration{Email: "eve@example.com\r\nBcc: all@example.com"}, []string{"email"}},
		{"LF in email", auth.Registration{Email: "eve\n@example.com"}, []string{"email"}},
		{"CR in email", auth.Registration{Email: "eve@exa\rmple.com"}, []string{"email"}},
		{"NUL in email", auth.Registration{Email: "eve@example.com\x00"}, []string{"email"}},
		{"255-byte email", auth.Registration{Email: "x" + email254}, []string{"email"}},
		{"254-byte email", auth.Registration{Email: email254}, nil},
		{"empty email", auth.Registration{Email: "-"}, []string{"email"}},
		{"short username", auth.Registration{Username: "ab"}, []string{"username"}},
		{"long username", auth.Registration{Username: strings.Repeat("u", 33)}, []string{"username"}},
		{"32-char username", auth.Registration{Username: strings.Repeat("u", 32)}, nil},
		{"space in username", auth.Registration{Username: "al ice"}, []string{"username"}},
		{"bang in username", auth.Registration{Username: "alice!"}, []string{"username"}},
		{"at in username", auth.Registration{Username: "al@ice"}, []string{"username"}},
		{"non-ASCII username", auth.Registration{Username: "ålice"}, []string{"username"}},
		{"slash in username", auth.Registration{Username: "a/b/c"}, []string{"username"}},
		{"long first name", auth.Registration{FirstName: long101}, []string{"firstName"}},
		{"long last name", auth.Registration{LastName: long101}, []string{"lastName"}},
		{"100-char names", auth.Registration{FirstName: long101[2:], LastName: long101[2:]}, nil},
		{"newline in name", auth.Registration{FirstName: "Eve\nBcc: x"}, []string{"firstName"}},
		{"no password", auth.Registration{Password: "-"}, []string{"password"}},
		{"several", auth.Registration{Email: "nope", Username: "x", LastName: long101}, []string{"email", "username", "lastName"}},
	}
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				switch in.Email {
				case "":
					in.Email = "valid" + string(rune('a'+i)) + "@example.com"
				case "-":
					in.Email = ""
				}
				switch in.Password {
				case "":
					in.Password = svcPassword
				case "-":
					in.Password = ""
				}
				before := len(e.auditRows(store.AuditFilter{Action: "auth.register"}))
				u, err := e.svc.Register(svcCtx(), in)
				if tc.fields == nil {
					require.NoError(t, err)
					assert.NotEmpty(t, u.ID)
					return
				}
				requireCode(t, store.ErrValidation, err)
				assert.Nil(t, u)
				var names []string
				for _, f := range store.AsError(err).Fields {
					names = append(names, f.Field)
					assert.NotEmpty(t, f.Message)
				}
				assert.ElementsMatch(t, tc.fields, names)
				assert.Len(t, e.auditRows(store.AuditFilter{Action: "auth.register"}), before,
					"a refused registration is not audited as one")
			})
		}
	})
}

func TestServiceRegisterRefused(t *testing.T) {
	tests := []struct {
		name string
		in   auth.Registration
		want *store.Error
	}{
		{"reserved admin", auth.Registration{Username: "admin"}, store.ErrUsernameReserved},
		{"reserved ADMIN", auth.Registration{Username: "ADMIN"}, store.ErrUsernameReserved},
		{"reserved Root", auth.Registration{Username: "Root"}, store.ErrUsernameReserved},
		{"reserved sUpPoRt", auth.Registration{Username: "sUpPoRt"}, store.ErrUsernameReserved},
		{"reserved profile", auth.Registration{Username: "Profile"}, store.ErrUsernameReserved},
		{"reserved preferences", auth.Registration{Username: "PREFERENCES"}, store.ErrUsernameReserved},
		{"short password", auth.Registration{Password: "Ab1!x"}, store.ErrWeakPassword},
		{"common password", auth.Registration{Password: "password123"}, store.ErrWeakPassword},
		{"common password any case", auth.Registration{Password: "PassWord123"}, store.ErrWeakPassword},
		{"digits", auth.Registration{Password: "12345678"}, store.ErrWeakPassword},
		{"contains email local part", auth.Registration{Password: "Marigold-Rocket-77"}, store.ErrWeakPassword},
		{"contains email", auth.Registration{Password: "x-marigold@example.com"}, store.ErrWeakPassword},
		{"contains username", auth.Registration{Username: "zephyrine", Password: "xx-ZEPHYRINE-99"}, store.ErrWeakPassword},
		{"taken email other case", auth.Registration{Email: "TAKEN@Example.com"}, store.ErrEmailTaken},
		{"taken username other case", auth.Registration{Username: "Taken_One"}, store.ErrUsernameTaken},
	}
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		e.register("taken@example.com", "taken_one")
		registered := len(e.auditRows(store.AuditFilter{Action: "auth.register"}))
		first, err := st.Users().ByEmail(context.Background(), "taken@example.com")
		require.NoError(t, err)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				if in.Email == "" {
					in.Email = "marigold@example.com"
				}
				if in.Password == "" {
					in.Password = svcPassword
				}
				u, err := e.svc.Register(svcCtx(), in)
				requireCode(t, tc.want, err)
				assert.Nil(t, u)
				_, err = st.Users().ByEmail(context.Background(), "marigold@example.com")
				assert.ErrorIs(t, err, store.ErrUserNotFound)
				assert.Len(t, e.auditRows(store.AuditFilter{Action: "auth.register"}), registered,
					"a refused registration writes no audit row")
			})
		}
		// The first account is untouched by the refused duplicates.
		assert.Equal(t, "taken_one", e.user(first.ID).Username)
		// Only the one verification mail went out.
		assert.Len(t, e.mails(), 1)
	})
}

func TestServiceRegisterVerificationMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := svcCtx()
		e := newSvcEnv(t, st, nil)
		u := e.register("Verify.Me@Example.com", "")

		msgs := e.mailsTo("verify.me@example.com")
		require.Len(t, msgs, 1)
		assert.Contains(t, msgs[0].Text, svcVerifyLink+"?token=")
		assert.NotEmpty(t, msgs[0].Subject)
		tok := e.linkToken("verify.me@example.com", svcVerifyLink)
		assert.GreaterOrEqual(t, len(tok), 43, "256-bit token")

		requireCode(t, store.ErrInvalidToken, e.svc.VerifyEmail(ctx, ""))
		requireCode(t, store.ErrInvalidToken, e.svc.VerifyEmail(ctx, tok+"x"))
		assert.False(t, e.user(u.ID).EmailVerified)

		require.NoError(t, e.svc.VerifyEmail(ctx, tok))
		assert.True(t, e.user(u.ID).EmailVerified)
		rows := e.auditRows(store.AuditFilter{Action: "auth.verify_email", TargetID: u.ID})
		assert.Len(t, rows, 1)

		requireCode(t, store.ErrInvalidToken, e.svc.VerifyEmail(ctx, tok))
		assert.Len(t, e.auditRows(store.AuditFilter{Action: "auth.verify_email", TargetID: u.ID}), 1)
	})
}

func TestServiceVerifyEmailExpiry(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		want  *store.Error // nil: accepted
	}{
		{"just before 24h", 24*time.Hour - time.Second, nil},
		{"at 24h", 24 * time.Hour, store.ErrInvalidToken},
		{"after 24h", 25 * time.Hour, store.ErrInvalidToken},
	}
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := newSvcEnv(t, st, nil)
				addr := "expiry" + string(rune('a'+i)) + "@example.com"
				u := e.register(addr, "")
				tok := e.linkToken(addr, svcVerifyLink)
				e.clock.Advance(tc.after)
				err := e.svc.VerifyEmail(svcCtx(), tok)
				if tc.want == nil {
					require.NoError(t, err)
					assert.True(t, e.user(u.ID).EmailVerified)
					return
				}
				requireCode(t, tc.want, err)
				assert.False(t, e.user(u.ID).EmailVerified)
			})
		}
	})
}

// Parallel sign-ups with one address in different letter cases: the
// database decides, exactly one wins.
func TestServiceRegisterRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		e := newSvcEnv(t, st, nil)
		const n = 20
		cases := []string{"race@example.com", "RACE@example.com", "Race@Example.Com", "rAcE@eXaMpLe.CoM"}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = e.svc.Register(svcCtx(), auth.Registration{
					Email: cases[i%len(cases)], Password: svcPassword})
			}()
		}
		close(start)
		wg.Wait()

		ok, taken := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrEmailTaken):
				taken++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		assert.Equal(t, 1, ok)
		assert.Equal(t, n-1, taken)
		assert.Len(t, e.auditRows(store.AuditFilter{Action: "auth.register"}), 1)
		assert.Len(t, e.mails(), 1)
	})
}
