package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // for the common-password list
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/usermgmt/usermgmt/store"
)

const (
	defaultMinLength = 8
	defaultMaxLength = 256
	// minMaxLength is the longest limit a policy may set: NIST SP 800-63B
	// requires verifiers to accept passwords of at least 64 characters.
	minMaxLength = 64
	// maxNFCShrink bounds how many code points NFC folds into one: no
	// character's canonical decomposition is longer than 4 code points.
	maxNFCShrink = 4
)

// PasswordPolicy says which passwords are acceptable, following NIST SP
// 800-63B: a minimum length, a generous maximum, a list of common passwords
// and no password containing the account's own identifiers. The zero value is
// the default policy.
//
// Lengths count Unicode code points after NFC normalisation, so a composed
// "é" and an "e" followed by a combining accent are one character either way,
// while an emoji built from several code points counts as several.
type PasswordPolicy struct {
	// MinLength is the fewest characters a password may have. Zero means 8.
	MinLength int
	// MaxLength is the most characters a password may have. Zero means 256.
	// A MaxLength below 64 is raised to 64, because NIST requires accepting
	// at least 64, and one below MinLength is raised to MinLength.
	MaxLength int
	// AllowCommon turns off the check against the bundled list of the 10,000
	// most common passwords. By default such passwords are refused, whatever
	// their case.
	AllowCommon bool
	// AllowRepetitive turns off the refusal of repetitive and sequential
	// passwords, which NIST SP 800-63B lists beside common ones: one
	// character or a group of up to 4 repeated ("aaaaaaaa", "abcabcabc",
	// "12121212"), and passwords made only of runs of at least 3 characters
	// that repeat or count up or down, digits and Latin letters wrapping
	// around ("12345678", "987654321098", "abcdefgh", "aaaa1234").
	// Upper and lower case count as the same. By default such passwords
	// are refused.
	AllowRepetitive bool

	// RequireUpper, RequireLower, RequireDigit and RequireSymbol are
	// composition rules, all off by default because NIST advises against
	// them: they make passwords harder to remember, not harder to guess.
	// Letters and digits of any script count. A symbol is any punctuation,
	// symbol (emoji included) or space character.
	RequireUpper, RequireLower, RequireDigit, RequireSymbol bool
}

func (p PasswordPolicy) minLength() int {
	if p.MinLength <= 0 {
		return defaultMinLength
	}
	return p.MinLength
}

func (p PasswordPolicy) maxLength() int {
	n := p.MaxLength
	if n <= 0 {
		n = defaultMaxLength
	}
	return max(n, minMaxLength, p.minLength())
}

// Check returns nil when password is acceptable for the account with the
// given email and username, and otherwise an error matching
// store.ErrWeakPassword whose Message, safe to show, says why, such as
// "password must have at least 8 characters" or "password is too common".
//
// email and username may be empty. Any printing or control character is
// allowed, but the password must be valid UTF-8. The password may not
// contain, ignoring case, the whole email address, its local part (when that
// has at least 3 characters) or the username (when that has at least 3
// characters).
func (p PasswordPolicy) Check(password, email, username string) error {
	if !utf8.ValidString(password) {
		return weak("password must be valid UTF-8")
	}
	minLen, maxLen := p.minLength(), p.maxLength()
	// Refuse huge inputs before normalising them: NFC keeps at least a
	// quarter of the code points, so more than 4*maxLen code points (and
	// so more than 16*maxLen bytes) can never be short enough.
	if len(password) > maxNFCShrink*utf8.UTFMax*maxLen {
		return tooLong(maxLen)
	}
	password = norm.NFC.String(password)
	n := utf8.RuneCountInString(password)
	if n < minLen {
		return weak(fmt.Sprintf("password must have at least %d characters", minLen))
	}
	if n > maxLen {
		return tooLong(maxLen)
	}

	folded := fold(password)
	if !p.AllowCommon && commonPasswords.contains(folded) {
		return weak("password is too common")
	}
	if !p.AllowRepetitive {
		if msg := predictable(folded); msg != "" {
			return weak(msg)
		}
	}
	if email = fold(strings.TrimSpace(email)); email != "" {
		local := email
		if i := strings.LastIndexByte(email, '@'); i >= 0 {
			local = email[:i]
		}
		if strings.Contains(folded, email) ||
			utf8.RuneCountInString(local) >= 3 && strings.Contains(folded, local) {
			return weak("password must not contain your email address")
		}
	}
	if username = fold(strings.TrimSpace(username)); utf8.RuneCountInString(username) >= 3 &&
		strings.Contains(folded, username) {
		return weak("password must not contain your username")
	}
	return p.checkComposition(password)
}

func (p PasswordPolicy) checkComposition(password string) error {
	if !p.RequireUpper && !p.RequireLower && !p.RequireDigit && !p.RequireSymbol {
		return nil
	}
	var upper, lower, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r):
			symbol = true
		}
	}
	switch {
	case p.RequireUpper && !upper:
		return weak("password must contain an upper-case letter")
	case p.RequireLower && !lower:
		return weak("password must contain a lower-case letter")
	case p.RequireDigit && !digit:
		return weak("password must contain a digit")
	case p.RequireSymbol && !symbol:
		return weak("password must contain a symbol")
	}
	return nil
}

// Limits of the repetition and sequence checks.
const (
	// maxRepeatedUnit is the longest group whose repetition makes a whole
	// password predictable: longer ones ("correct horse correct horse")
	// are phrases, left to the length rule.
	maxRepeatedUnit = 4
	// minRun is the shortest run of repeated or sequential characters that
	// counts as one predictable piece.
	minRun = 3
)

// predictable says why the folded password is repetitive or sequential, or
// returns "" when it is neither. Only whole passwords are judged: a
// predictable part inside an otherwise unpredictable password is fine.
func predictable(folded string) string {
	rs := []rune(folded)
	if p := period(rs); p > 0 && p <= maxRepeatedUnit && p < len(rs) {
		return "password must not be one character or a short group repeated, like aaaaaaaa or abcabcabc"
	}
	if onlyRuns(rs) {
		return "password must not be made of repeated or consecutive characters, like 12345678 or abcdefgh"
	}
	return ""
}

// period returns the length of the shortest unit that rs repeats, a last
// partial repetition allowed ("abcab" has period 3).
func period(rs []rune) int {
	for p := 1; p <= len(rs); p++ {
		ok := true
		for i := p; i < len(rs) && ok; i++ {
			ok = rs[i] == rs[i-p]
		}
		if ok {
			return p
		}
	}
	return len(rs)
}

// onlyRuns reports whether rs splits, left to right, into runs of at least
// minRun characters, each repeating one character or counting up or down
// by one.
func onlyRuns(rs []rune) bool {
	if len(rs) < minRun {
		return false
	}
	start := 0
	for start < len(rs) {
		end := start + 1
		if end < len(rs) {
			step := sequenceStep(rs[start], rs[end])
			for end < len(rs) && step <= 1 && step >= -1 && sequenceStep(rs[end-1], rs[end]) == step {
				end++
			}
		}
		if end-start < minRun {
			return false
		}
		start = end
	}
	return true
}

// sequenceStep is how far b is from a: digits count modulo 10 and Latin
// letters modulo 26, so "890" and "yza" are sequences; anything else
// counts by code point. Only steps of -1, 0 and 1 matter; any other value
// means "not a step".
func sequenceStep(a, b rune) int {
	cyclic := func(n int) int {
		d := (int(b-a)%n + n) % n
		if d == n-1 {
			return -1
		}
		return d
	}
	switch {
	case '0' <= a && a <= '9' && '0' <= b && b <= '9':
		return cyclic(10)
	case 'a' <= a && a <= 'z' && 'a' <= b && b <= 'z':
		return cyclic(26)
	}
	d := int64(b) - int64(a)
	if d < -1 || d > 1 {
		return 2
	}
	return int(d)
}

func weak(msg string) error { return store.ErrWeakPassword.WithMessage(msg) }

func tooLong(maxLen int) error {
	return weak(fmt.Sprintf("password must have at most %d characters", maxLen))
}

// fold returns s lower-cased and in NFC, the form passwords, identifiers and
// the common-password list are compared in. Lower-casing can in rare cases
// produce a sequence NFC would compose, hence the second normalisation.
func fold(s string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(s)))
}

// commonPasswordsGz holds the most common passwords, most common first, one
// per line, lower-cased and deduplicated; commonpasswords.md says where it
// comes from and how to regenerate it.
//
//go:embed commonpasswords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is read on first use, so programs that never check a
// password do not pay for the list.
var commonPasswords = &wordList{gz: commonPasswordsGz}

// wordList is a set of words decompressed from gzipped lines on first use.
type wordList struct {
	gz   []byte
	once sync.Once
	set  map[string]struct{}
}

func (l *wordList) words() map[string]struct{} {
	l.once.Do(func() {
		set, err := readWordList(l.gz)
		if err != nil {
			// The list is embedded at build time, and its test reads it:
			// a broken list is a broken build, not a runtime condition.
			panic(fmt.Sprintf("auth: read common-password list: %v", err))
		}
		l.set = set
	})
	return l.set
}

// contains reports whether the folded word w is in the list.
func (l *wordList) contains(w string) bool {
	_, ok := l.words()[w]
	return ok
}

func readWordList(gz []byte) (map[string]struct{}, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	set := make(map[string]struct{}, 10000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := fold(sc.Text()); w != "" {
			set[w] = struct{}{}
		}
	}
	return set, sc.Err()
}
