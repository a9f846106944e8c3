package textutil

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"Short", "abc", 5, "abc"},
		{"Exact", "abcde", 5, "abcde"},
		{"ASCII", "abcdef", 3, "abc"},
		{"Zero", "abc", 0, ""},
		{"Negative", "abc", -1, ""},
		{"Empty", "", 3, ""},
		{"BeforeMultibyte", "ab€", 2, "ab"},
		{"InsideMultibyte", "ab€", 3, "ab"},
		{"InsideMultibyteLate", "ab€", 4, "ab"},
		{"AfterMultibyte", "ab€c", 5, "ab€"},
		{"FourByte", "😀😀", 7, "😀"},
		{"OnlyMultibyte", "€", 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Truncate(tc.s, tc.n)
			assert.Equal(t, tc.want, got)
			assert.LessOrEqual(t, len(got), max(tc.n, 0))
			if utf8.ValidString(tc.s) {
				assert.True(t, utf8.ValidString(got), "valid input stays valid")
			}
		})
	}
}
