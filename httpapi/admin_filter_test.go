package httpapi

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/store"
)

func TestParseAdminUserFilter(t *testing.T) {
	yes, no := true, false
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		query  string
		want   store.UserFilter
		fields []string
	}{
		{"empty", "", store.UserFilter{}, nil},
		{"all", "q=+Ann+&status=suspended&role=admin&emailVerified=true&twoFactor=false&createdFrom=2026-01-02&createdTo=2026-01-03T00:00:00%2B01:00",
			store.UserFilter{Q: "Ann", Status: store.StatusSuspended, Role: "admin", EmailVerified: &yes, TwoFactor: &no,
				CreatedFrom: day, CreatedTo: day.Add(23 * time.Hour)}, nil},
		{"bad values", "status=gone&emailVerified=yes&twoFactor=1&createdFrom=yesterday",
			store.UserFilter{}, []string{"status", "emailVerified", "twoFactor", "createdFrom"}},
		{"window backwards", "createdFrom=2026-01-03&createdTo=2026-01-02", store.UserFilter{}, []string{"createdTo"}},
		{"q too long", "q=" + strings.Repeat("é", 201), store.UserFilter{}, []string{"q"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/admin/users?"+tc.query, nil)
			f, err := parseAdminUserFilter(r)
			if tc.fields == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.want, f)
				return
			}
			var e *store.Error
			require.True(t, errors.As(err, &e), "%v", err)
			var got []string
			for _, fe := range e.Fields {
				got = append(got, fe.Field)
			}
			assert.ElementsMatch(t, tc.fields, got)
		})
	}
}
