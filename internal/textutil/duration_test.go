package textutil_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/usermgmt/usermgmt/internal/textutil"
)

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Minute, "10 minutes"}, // a sent 2FA code
		{time.Hour, "1 hour"},            // a reset link
		{24 * time.Hour, "24 hours"},     // a verification link
		{7 * 24 * time.Hour, "7 days"},   // an invitation
		{48 * time.Hour, "2 days"},
		{36 * time.Hour, "36 hours"},
		{90 * time.Minute, "90 minutes"}, // not "1 hour": never round up
		{2*time.Hour + 30*time.Second, "120 minutes"},
		{time.Minute, "1 minute"},
		{30 * time.Second, "30 seconds"},
		{time.Second, "1 second"},
		{0, "0 seconds"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, textutil.HumanDuration(tc.d))
		})
	}
}
