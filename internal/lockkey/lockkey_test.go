package lockkey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/usermgmt/usermgmt/internal/lockkey"
)

func TestMFA(t *testing.T) {
	for _, tc := range []struct {
		name, userID, want string
	}{
		// Counters already in stores use this form.
		{"stored form", "0190f0aa-7b1c-7def-8123-456789abcdef", "MFA:0190f0aa-7b1c-7def-8123-456789abcdef"},
		{"empty", "", "MFA:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lockkey.MFA(tc.userID)
			assert.Equal(t, tc.want, got)
			assert.NotEqual(t, strings.ToLower(got), got, "a lower-cased login identifier cannot be it")
		})
	}
}
