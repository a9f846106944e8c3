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
		repeated  = "password must not be one character or a short group repeated, like aaaaaaaa or abcabcabc"
		runs      = "password must not be made of repeated or consecutive characters, like 12345678 or abcdefgh"
	)
	passphrase := strings.Repeat("correct horse battery staple ", 7)[:200]
	// chars returns n characters that neither repeat a short group nor run
	// in sequence, for the length cases.
	chars := func(n int) string { return strings.Repeat("correct horse battery staple ", 10)[:n] }

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
		{name: "exactly 256 characters", password: chars(256)},
		{name: "257 characters", password: chars(257), want: tooLong},
		{name: "megabyte refused early", password: strings.Repeat("x", 1<<20), want: tooLong},
		{name: "custom MinLength", policy: auth.PasswordPolicy{MinLength: 12}, password: "kq7#vbzmwt5", want: "password must have at least 12 characters"},
		{name: "custom MinLength met", policy: auth.PasswordPolicy{MinLength: 12}, password: "kq7#vbzmwt5!"},
		{name: "custom MaxLength", policy: auth.PasswordPolicy{MaxLength: 100}, password: chars(101), want: "password must have at most 100 characters"},
		{name: "64 allowed despite MaxLength 10", policy: auth.PasswordPolicy{MaxLength: 10}, password: chars(64)},
		{name: "65 refused with MaxLength 10", policy: auth.PasswordPolicy{MaxLength: 10}, password: chars(65), want: "password must have at most 64 characters"},
		{name: "MaxLength raised to MinLength", policy: auth.PasswordPolicy{MinLength: 80, MaxLength: 70}, password: chars(80)},
		{name: "Cyrillic 8 characters in 16 bytes", password: "пароль12"},
		{name: "Cyrillic 7 characters", password: "пароль1", want: tooShort},
		{name: "8 emoji", password: "🔑🐴🔋📎🌵🎲🚲🧲"},
		{name: "7 emoji", password: "🔑🐴🔋📎🔑🐴🔋", want: tooShort},
		{name: "composed é counts once", password: "ééééééé", want: tooShort},
		{name: "decomposed é counts once", password: strings.Repeat("e\u0301", 7), want: tooShort},
		{name: "decomposed accents, 8 characters", password: "e\u0301a\u0301i\u0301o\u0301u\u0301y\u0301n\u0303c\u0327"},

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

		// Repetitive and sequential passwords (NIST SP 800-63B), in any case.
		{name: "one character repeated", password: "aaaaaaaaaaaa", want: repeated},
		{name: "one character repeated, mixed case", password: "aAaAaAaAaAaA", want: repeated},
		{name: "one digit repeated", password: "000000000", want: repeated},
		{name: "symbol repeated", password: "!!!!!!!!", want: repeated},
		{name: "emoji repeated", password: "🔑🔑🔑🔑🔑🔑🔑🔑", want: repeated},
		{name: "decomposed é repeated", password: strings.Repeat("e\u0301", 8), want: repeated},
		{name: "two digits repeated", password: "121212121212", want: repeated},
		{name: "three letters repeated", password: "abcabcabcabc", want: repeated},
		{name: "three letters repeated, partial end", password: "xyzxyzxyzx", want: repeated},
		{name: "four characters repeated", password: "kq7#kq7#kq7#", want: repeated},
		{name: "four characters twice", password: "kq7#kq7#", want: repeated},
		{name: "ascending digits", password: "123456789012", want: runs},
		{name: "descending digits", password: "987654321098", want: runs},
		{name: "ascending letters", password: "abcdefghijkl", want: runs},
		{name: "ascending letters, upper case", password: "ABCDEFGHIJKL", want: runs},
		{name: "descending letters", password: "zyxwvutsrqpo", want: runs},
		{name: "letters wrapping", password: "wxyzabcdefgh", want: runs},
		{name: "Greek sequence", password: "αβγδεζηθ", want: runs},
		{name: "letters then digits", password: "wxyz7890", want: runs},
		{name: "runs of repeats", password: "aaaabbbbcccc", want: runs},
		{name: "up then down", password: "1234567654321", want: runs},
		{name: "sequence with low MinLength", policy: auth.PasswordPolicy{MinLength: 1}, password: "abcdef", want: runs},
		{name: "repetition allowed", policy: auth.PasswordPolicy{AllowRepetitive: true}, password: "aaaaaaaaaaaa"},
		{name: "sequence allowed", policy: auth.PasswordPolicy{AllowRepetitive: true}, password: "123456789012"},
		{name: "five-character group repeated is a phrase matter", password: "kq7#zkq7#z"},
		{name: "repeated phrase passes", password: "correct horse correct horse"},
		{name: "sequence inside a password", password: "my pin is 123456789"},
		{name: "repetition inside a password", password: "zzzzzzzz-sleepy-cat"},
		{name: "short runs are not enough", password: "ab12cd34ef"},
		{name: "ordinary password", password: "Tr0ub4dor&3"},
		{name: "ordinary password with digits", password: "blue42sky17"},
		{name: "keyboard-ish but not a run", password: "qazwsxedc1"},
		{name: "long passphrase", password: "the quick brown fox jumps over"},
		{name: "Cyrillic word and digits", password: "солнышко2024"},

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
