package auth

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDeviceHash(t *testing.T) {
	chrome126 := "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.61 Safari/537.36"
	chrome127 := strings.ReplaceAll(strings.ReplaceAll(chrome126, "126.0.6478.61", "127.0.6533.72"), "10_15_7", "14_5")
	firefox := "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0"
	cases := []struct {
		name   string
		a, b   [2]string // fingerprint, user agent
		sameID bool
	}{
		{"BrowserUpdate", [2]string{"", chrome126}, [2]string{"", chrome127}, true},
		{"OtherBrowser", [2]string{"", chrome126}, [2]string{"", firefox}, false},
		{"FingerprintWins", [2]string{"dev-1", chrome126}, [2]string{"dev-1", firefox}, true},
		{"OtherFingerprint", [2]string{"dev-1", chrome126}, [2]string{"dev-2", chrome126}, false},
		{"FingerprintOrNot", [2]string{"dev-1", chrome126}, [2]string{"", chrome126}, false},
		{"NoUserAgent", [2]string{"", ""}, [2]string{"", ""}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := deviceHash(c.a[0], c.a[1]), deviceHash(c.b[0], c.b[1])
			assert.Equal(t, c.sameID, a == b)
			assert.NotContains(t, a, "Chrome", "stored hashed")
			assert.Len(t, a, 43)
		})
	}
}
