package textutil

import "unicode/utf8"

// Truncate cuts s to at most n bytes without splitting a character: a byte
// cut can leave invalid UTF-8, which the database and JSON refuse or
// mangle. Invalid UTF-8 already in s before the cut is kept as it is; only
// the character the cut would split is dropped whole. n <= 0 gives "".
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	cut := n
	// Step back over continuation bytes to the start of the split
	// character, then keep it only when it fits whole.
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if r, size := utf8.DecodeRuneInString(s[cut:]); r != utf8.RuneError || size != 1 {
		if cut+size <= n {
			cut += size
		}
	}
	return s[:cut]
}
