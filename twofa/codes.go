package twofa

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// BackupCodeCount is how many backup codes enabling or regenerating gives.
const BackupCodeCount = 10

// backupAlphabet has 32 symbols that people do not confuse: no 0, 1, I or
// O. Eight of them carry 40 bits.
const backupAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

const backupCodeLen = 8

// BackupCodes are freshly made backup codes, formatted for people
// ("7KQM-3XHD"). They are shown once; only keyed hashes are stored. They
// redact themselves in logs.
type BackupCodes []string

// LogValue implements slog.LogValuer.
func (BackupCodes) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// newBackupCode returns one code, formatted XXXX-XXXX.
func newBackupCode(r io.Reader) (string, error) {
	b := make([]byte, backupCodeLen)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("twofa: random: %w", err)
	}
	out := make([]byte, 0, backupCodeLen+1)
	for i, c := range b {
		if i == backupCodeLen/2 {
			out = append(out, '-')
		}
		// 32 divides 256, so the low five bits are uniform.
		out = append(out, backupAlphabet[c&31])
	}
	return string(out), nil
}

// normalizeBackupCode upper-cases a backup code and drops dashes and
// spaces; it reports false when the result cannot be a backup code.
func normalizeBackupCode(code string) (string, bool) {
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	if len(code) != backupCodeLen {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(backupAlphabet, code[i]) < 0 {
			return "", false
		}
	}
	return code, true
}

// codeDigits is the length of TOTP and sent codes.
const codeDigits = 6

// newNumericCode returns six uniformly random digits.
func newNumericCode(r io.Reader) (string, error) {
	out := make([]byte, 0, codeDigits)
	buf := make([]byte, 16)
	for len(out) < codeDigits {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("twofa: random: %w", err)
		}
		for _, c := range buf {
			// Rejection sampling: 250 is the largest multiple of 10 in a byte.
			if c < 250 && len(out) < codeDigits {
				out = append(out, '0'+c%10)
			}
		}
	}
	return string(out), nil
}

// normalizeNumericCode trims a code and drops inner spaces ("123 456");
// it reports false unless six digits remain.
func normalizeNumericCode(code string) (string, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != codeDigits {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	return code, true
}

// maskEmail keeps the first character of the local part and the domain:
// "a***@example.com".
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	_, size := utf8.DecodeRuneInString(local)
	return local[:size] + "***@" + domain
}

// maskPhone keeps the plus sign and the last four digits:
// "+*******1234".
func maskPhone(phone string) string {
	const keep = 4
	var b strings.Builder
	n := len(phone)
	for i := 0; i < n; i++ {
		c := phone[i]
		switch {
		case i == 0 && c == '+':
			b.WriteByte('+')
		case i >= n-keep:
			b.WriteByte(c)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

// normalizePhone drops the spaces, dashes, dots and parentheses people
// write in phone numbers and reports whether the rest is in E.164 form: a
// plus sign and 8 to 15 digits, the first not 0.
func normalizePhone(raw string) (string, bool) {
	phone := strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "").Replace(strings.TrimSpace(raw))
	return phone, validPhone(phone)
}

func validPhone(phone string) bool {
	if len(phone) < 9 || len(phone) > 16 || phone[0] != '+' || phone[1] == '0' {
		return false
	}
	for i := 1; i < len(phone); i++ {
		if phone[i] < '0' || phone[i] > '9' {
			return false
		}
	}
	return true
}
