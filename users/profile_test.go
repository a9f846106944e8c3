package users_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/internal/dbtest"
	"github.com/usermgmt/usermgmt/store"
	"github.com/usermgmt/usermgmt/store/bunstore"
	"github.com/usermgmt/usermgmt/users"
)

func str(s string) *string { return &s }

func TestUpdateProfileValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *bunstore.Store) {
		ctx := store.NewContextWithActor(context.Background(), store.SystemActor)
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		svc := users.New(users.Config{Store: st, Audit: audit.New(st, nil), Now: func() time.Time { return now }})
		u := &store.User{Email: "ada@example.com", Username: "ada", Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, st.Users().Create(ctx, u))
		require.NoError(t, st.Users().Create(ctx, &store.User{Email: "bob@example.com", Username: "bob", CreatedAt: now, UpdatedAt: now}))

		for _, tc := range []struct {
			name  string
			ch    users.ProfileChange
			err   error
			field string
		}{
			{"NameTooLong", users.ProfileChange{FirstName: str(strings.Repeat("é", 101))}, store.ErrValidation, "firstName"},
			{"BioTooLong", users.ProfileChange{Bio: str(strings.Repeat("b", 501))}, store.ErrValidation, "bio"},
			{"Website", users.ProfileChange{Website: str("example.com")}, store.ErrValidation, "website"},
			{"Phone", users.ProfileChange{PhoneNumber: str("+0123456789")}, store.ErrValidation, "phoneNumber"},
			{"Visibility", users.ProfileChange{Visibility: str("hidden")}, store.ErrValidation, "visibility"},
			{"Reserved", users.ProfileChange{Username: str("Preferences")}, store.ErrUsernameReserved, ""},
			{"Taken", users.ProfileChange{Username: str("BOB")}, store.ErrUsernameTaken, ""},
			{"EmailWithoutAuth", users.ProfileChange{Email: str("new@example.com")}, store.ErrInternal, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.UpdateProfile(ctx, u.ID, tc.ch)
				require.ErrorIs(t, err, tc.err)
				if tc.field != "" {
					e := store.AsError(err)
					require.Len(t, e.Fields, 1)
					assert.Equal(t, tc.field, e.Fields[0].Field)
				}
			})
		}

		p, err := svc.UpdateProfile(ctx, u.ID, users.ProfileChange{FirstName: str("Ada"), Bio: str("1\n2"), PhoneNumber: str("+1 415 555 0100")})
		require.NoError(t, err)
		assert.Equal(t, "+14155550100", p.User.PhoneNumber)
		assert.Equal(t, "1\n2", p.User.Bio)
		p, err = svc.ReplaceProfile(ctx, u.ID, users.ProfileChange{Bio: str("only")})
		require.NoError(t, err)
		assert.Empty(t, p.User.FirstName)
		assert.Empty(t, p.User.PhoneNumber)
		assert.Equal(t, "ada", p.User.Username)
		assert.Equal(t, store.VisibilityPublic, p.User.Visibility)

		_, err = svc.UpdateProfile(ctx, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", users.ProfileChange{Bio: str("x")})
		assert.ErrorIs(t, err, store.ErrUserNotFound)
	})
}
