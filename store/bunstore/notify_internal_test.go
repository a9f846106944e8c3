package bunstore

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/usermgmt/usermgmt/store"
)

func TestNoticeRoundTrip(t *testing.T) {
	user, sess := "0190f1c2-7a5e-7cc1-9d0e-3c1f2a4b5c6d", "0190f1c2-7a5e-7cc1-9d0e-3c1f2a4b5c6e"
	many := make([]store.Change, 400) // more than one notice holds
	for i := range many {
		many[i] = store.Change{Kind: store.UserChanged, UserID: user}
	}
	tests := []struct {
		name    string
		changes []store.Change
		notices int
	}{
		{"None", nil, 0},
		{"One", []store.Change{{Kind: store.SessionRevoked, SessionID: sess}}, 1},
		{"Mixed", []store.Change{{Kind: store.UserChanged, UserID: user}, {Kind: store.RolesChanged}, {Kind: store.UserSessionsRevoked, UserID: user}}, 1},
		{"KindAddedLater", []store.Change{{Kind: 200, UserID: user}}, 1},
		{"Split", many, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			notices := encodeChanges("me", tc.changes)
			assert.Equal(t, tc.notices, len(notices))
			var got []store.Change
			for _, n := range notices {
				assert.LessOrEqual(t, len(n), maxNotice)
				_, own := decodeChanges("me", n)
				assert.False(t, own, "an instance ignores its own notices")
				cs, ok := decodeChanges("other", n)
				assert.True(t, ok)
				got = append(got, cs...)
			}
			assert.Equal(t, tc.changes, got)
		})
	}
}

func TestNoticeRefusesGarbage(t *testing.T) {
	for _, n := range []string{"", "no bar", "x|", "x|1,a", "x|0,a,b", "x|300,a,b", "x|a,b,c", "x|1,a,b;" + strings.Repeat(",", 3)} {
		_, ok := decodeChanges("me", n)
		assert.False(t, ok, n)
	}
}
