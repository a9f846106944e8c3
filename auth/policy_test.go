package auth_test

import (
	"bufio"
	"compress/gzip"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usermgmt/usermgmt/auth"
	"github.com/usermgmt/usermgmt/store"
)

func TestPasswordPolicyCheck(t *testing.T) {
	const (
		tooShort  = "password must have at least 8 characters"
		tooLong   = "password must have at most 256 characters"
		tooCommon = "password is too common"
		hasEmail  = "password must not contain your email address"
		hasUser   = "password must not contain your username"
	)
	passphrase := strings.Repeat("correct horse battery staple ", 7)[:200]

	tests := []struct {
		name     string
		policy   auth.PasswordPolicy
		password string
		email    string
		username string
		want     string // the error message; "" means acceptable
	}{
		// Length, counted in code points after NFC.
		{name: "empty", password: "", want: tooShort},
		{name: "7 characters", password: "kq7#vbz", want: tooShort},
		{name: "exactly 8 characters", password: "kq7#vbzm"},
		{name: "200-character passphrase", password: passphrase},
		{name: "exactly 256 characters", password: strings.Repeat("kq7#", 64)},
		{name: "257 characters", password: strings.Repeat("kq7#", 64) + "x", want: tooLong},
		{name: "megabyte refused early", password: strings.Repeat("x", 1<<20), want: tooLong},
		{name: "custom MinLength", policy: auth.PasswordPolicy{MinLength: 12}, password: "kq7#vbzmwt5", want: "password must have at least 12 characters"},
		{name: "custom MinLength met", policy: auth.PasswordPolicy{MinLength: 12}, password: "kq7#vbzmwt5!"},
		{name: "custom MaxLength", policy: auth.PasswordPolicy{MaxLength: 100}, password: strings.Repeat("kq7#", 25) + "x", want: "password must have at most 100 characters"},
		{name: "64 allowed despite MaxLength 10", policy: auth.PasswordPolicy{MaxLength: 10}, password: strings.Repeat("kq7#", 16)},
		{name: "65 refused with MaxLength 10", policy: auth.PasswordPolicy{MaxLength: 10}, password: strings.Repeat("kq7#", 16) + "x", want: "password must have at most 64 characters"},
		{name: "MaxLength raised to MinLength", policy: auth.PasswordPolicy{MinLength: 80, MaxLength: 70}, password: strings.Repeat("kq7#", 20)},
		{name: "Cyrillic 8 characters in 16 bytes", password: "пароль12"},
		{name: "Cyrillic 7 characters", password: "пароль1", want: tooShort},
		{name: "8 emoji", password: "🔑🐴🔋📎🔑🐴🔋📎"},
		{name: "7 emoji", password: "🔑🐴🔋📎🔑🐴🔋", want: tooShort},
		{name: "composed é counts once", password: "ééééééé", want: tooShort},
		{name: "decomposed é counts once", password: strings.Repeat("e\u0301", 7), want: tooShort},
		{name: "decomposed é, 8 characters", password: strings.Repeat("e\u0301", 8)},

		// Any printing or control character, but only valid UTF-8.
		{name: "control characters allowed", password: "kq7\x00\t\nvbzm"},
		{name: "invalid UTF-8", password: "kq7#vbzm\xff", want: "password must be valid UTF-8"},
		{name: "invalid UTF-8 even when long", password: strings.Repeat("x", 1<<20) + "\xc3", want: "password must be valid UTF-8"},

		// Common passwords, in any case.
		{name: "password", password: "password", want: tooCommon},
		{name: "PassWord", password: "PassWord", want: tooCommon},
		{name: "PASSWORD1", password: "PASSWORD1", want: tooCommon},
		{name: "Password1", password: "Password1", want: tooCommon},
		{name: "12345678", password: "12345678", want: tooCommon},
		{name: "iloveyou", password: "iloveyou", want: tooCommon},
		{name: "LetMeIn with low MinLength", policy: auth.PasswordPolicy{MinLength: 1}, password: "LetMeIn", want: tooCommon},
		{name: "qwerty with low MinLength", policy: auth.PasswordPolicy{MinLength: 1}, password: "qwerty", want: tooCommon},
		{name: "123456 with low MinLength", policy: auth.PasswordPolicy{MinLength: 1}, password: "123456", want: tooCommon},
		{name: "common allowed", policy: auth.PasswordPolicy{AllowCommon: true}, password: "password"},

		// The account's own identifiers.
		{name: "whole email", password: "x-Alice@Example.com", email: "alice@example.com", want: hasEmail},
		{name: "email given in upper case", password: "alice@example.com!", email: "ALICE@EXAMPLE.COM", want: hasEmail},
		{name: "local part", password: "iamALICE2024", email: "alice@example.com", want: hasEmail},
		{name: "3-character local part", password: "bobsyouruncle", email: "bob@example.com", want: hasEmail},
		{name: "2-character local part not checked", password: "joyfulhorse42", email: "jo@example.com"},
		{name: "short email checked whole", password: "kq7#a@b.cvbzm", email: "a@b.c", want: hasEmail},
		{name: "domain alone is fine", password: "example.com rocks", email: "alice@example.com"},
		{name: "username", password: "Hello-Mallory-99", username: "mallory", want: hasUser},
		{name: "username in upper case", password: "hello-mallory-99", username: "MALLORY", want: hasUser},
		{name: "3-character username", password: "zedisdeadbaby", username: "Zed", want: hasUser},
		{name: "2-character username not checked", password: "alpha-al-omega", username: "al"},
		{name: "Unicode username, other case", password: "ÉLODIE-sunflower", username: "élodie", want: hasUser},
		{name: "Unicode username, decomposed", password: "e\u0301lodie-sunflower", username: "élodie", want: hasUser},
		{name: "Cyrillic username, other case", password: "ВАСЯ-из-Москвы", username: "вася", want: hasUser},
		{name: "no identifiers", password: "kq7#vbzm"},

		// Composition rules, off by default.
		{name: "no rules by default", password: "kqzvbzmw"},
		{name: "upper required", policy: auth.PasswordPolicy{RequireUpper: true}, password: "kq7#vbzm", want: "password must contain an upper-case letter"},
		{name: "upper met", policy: auth.PasswordPolicy{RequireUpper: true}, password: "kQ7#vbzm"},
		{name: "Greek upper met", policy: auth.PasswordPolicy{RequireUpper: true}, password: "Ωkq7#vbz"},
		{name: "lower required", policy: auth.PasswordPolicy{RequireLower: true}, password: "KQ7#VBZM", want: "password must contain a lower-case letter"},
		{name: "lower met", policy: auth.PasswordPolicy{RequireLower: true}, password: "KQ7#VBZm"},
		{name: "digit required", policy: auth.PasswordPolicy{RequireDigit: true}, password: "kqx#vbzm", want: "password must contain a digit"},
		{name: "digit met", policy: auth.PasswordPolicy{RequireDigit: true}, password: "kq7#vbzm"},
		{name: "Arabic-Indic digit met", policy: auth.PasswordPolicy{RequireDigit: true}, password: "kq٧#vbzm"},
		{name: "symbol required", policy: auth.PasswordPolicy{RequireSymbol: true}, password: "kq7xvbzm", want: "password must contain a symbol"},
		{name: "symbol met", policy: auth.PasswordPolicy{RequireSymbol: true}, password: "kq7#vbzm"},
		{name: "space is a symbol", policy: auth.PasswordPolicy{RequireSymbol: true}, password: "kq7 vbzm"},
		{name: "emoji is a symbol", policy: auth.PasswordPolicy{RequireSymbol: true}, password: "kq7🔑vbzm"},
		{name: "all rules met", policy: auth.PasswordPolicy{RequireUpper: true, RequireLower: true, RequireDigit: true, RequireSymbol: true}, password: "Kq7#vbzm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Check(tc.password, tc.email, tc.username)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, store.ErrWeakPassword)
			var e *store.Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, tc.want, e.Message)
			assert.Equal(t, 422, e.Status)
		})
	}
}

// TestCommonPasswordList reads the bundled file itself, so it checks both
// the data and that Check refuses every entry of it.
func TestCommonPasswordList(t *testing.T) {
	f, err := os.Open("commonpasswords.txt.gz")
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)

	var words []string
	seen := make(map[string]bool)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		w := sc.Text()
		require.NotEmpty(t, w, "line %d", len(words)+1)
		require.Equal(t, strings.ToLower(w), w, "entries are lower-cased")
		require.False(t, seen[w], "duplicate %q", w)
		seen[w] = true
		words = append(words, w)
	}
	require.NoError(t, sc.Err())
	assert.GreaterOrEqual(t, len(words), 10000)
	for _, w := range []string{"password", "123456", "qwerty", "letmein", "iloveyou", "password1", "12345678"} {
		assert.True(t, seen[w], "%q is in the list", w)
	}

	lenient := auth.PasswordPolicy{MinLength: 1}
	for _, w := range words {
		for _, pw := range []string{w, strings.ToUpper(w)} {
			err := lenient.Check(pw, "", "")
			var e *store.Error
			if assert.True(t, errors.As(err, &e), "%q is refused", pw) {
				assert.Equal(t, "password is too common", e.Message, pw)
			}
		}
	}
}

func TestPasswordPolicyCheckConcurrent(t *testing.T) {
	// The list loads lazily; the first calls may race to load it.
	done := make(chan error)
	for range 8 {
		go func() { done <- auth.PasswordPolicy{}.Check("password", "", "") }()
	}
	for range 8 {
		assert.ErrorIs(t, <-done, store.ErrWeakPassword)
	}
}

func BenchmarkPasswordPolicyCheck(b *testing.B) {
	var p auth.PasswordPolicy
	_ = p.Check("warm up the list", "", "")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := p.Check("Correct Horse Battery Staple", "alice@example.com", "alice"); err != nil {
			b.Fatal(err)
		}
	}
}
