package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/store"
)

// maxScanDepth bounds the nesting the scanner follows; encoding/json
// refuses deeper documents anyway.
const maxScanDepth = 1000

// scanStrict looks for what encoding/json would accept and silently
// repair or ignore: a key that appears twice in one object (the last one
// wins, so a proxy and the API could read different values), invalid UTF-8
// and lone UTF-16 surrogates in strings (replaced by U+FFFD), and NUL
// characters, raw or escaped (dropped or cut at by C libraries, databases
// and mail servers downstream). It names the field of each. It reports
// ok=false when the body is not well-formed enough to attribute anything;
// the caller then lets encoding/json describe the syntax error.
func scanStrict(body []byte) (problems []store.FieldError, ok bool) {
	s := &scanner{buf: body}
	s.space()
	if !s.value("", 0) {
		return nil, false
	}
	s.space()
	if s.pos != len(s.buf) {
		return nil, false
	}
	return s.problems, true
}

type scanner struct {
	buf      []byte
	pos      int
	problems []store.FieldError
}

func (s *scanner) space() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) add(field, msg string) {
	if field == "" {
		field = "body"
	}
	for _, p := range s.problems {
		if p.Field == field && p.Message == msg {
			return
		}
	}
	s.problems = append(s.problems, store.FieldError{Field: field, Message: msg})
}

// value scans one JSON value at path and reports whether it was
// well-formed enough to go on.
func (s *scanner) value(path string, depth int) bool {
	if s.pos >= len(s.buf) || depth > maxScanDepth {
		return false
	}
	switch c := s.buf[s.pos]; {
	case c == '{':
		return s.object(path, depth)
	case c == '[':
		return s.array(path, depth)
	case c == '"':
		_, bad, ok := s.str()
		if bad != "" {
			s.add(path, bad)
		}
		return ok
	case c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z':
		// Numbers and literals: encoding/json checks their spelling.
		for s.pos < len(s.buf) {
			c := s.buf[s.pos]
			if !(c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				break
			}
			s.pos++
		}
		return true
	}
	return false
}

func (s *scanner) object(path string, depth int) bool {
	s.pos++ // {
	seen := map[string]bool{}
	s.space()
	if s.pos < len(s.buf) && s.buf[s.pos] == '}' {
		s.pos++
		return true
	}
	for {
		s.space()
		if s.pos >= len(s.buf) || s.buf[s.pos] != '"' {
			return false
		}
		key, bad, ok := s.str()
		if !ok {
			return false
		}
		field := key
		if path != "" {
			field = path + "." + key
		}
		if bad == msgNotUTF8 {
			// A key that is not text cannot be named in errors[].
			return false
		}
		if bad != "" {
			s.add(field, bad)
		}
		if seen[key] {
			s.add(field, "appears more than once")
		}
		seen[key] = true
		s.space()
		if s.pos >= len(s.buf) || s.buf[s.pos] != ':' {
			return false
		}
		s.pos++
		s.space()
		if !s.value(field, depth+1) {
			return false
		}
		if done, ok := s.next('}'); done || !ok {
			return ok
		}
	}
}

// next reads what follows a member or element: a comma (more follow) or
// the closing byte (done). Anything else, or the end, is malformed.
func (s *scanner) next(closing byte) (done, ok bool) {
	s.space()
	if s.pos >= len(s.buf) {
		return false, false
	}
	switch s.buf[s.pos] {
	case ',':
		s.pos++
		return false, true
	case closing:
		s.pos++
		return true, true
	}
	return false, false
}

func (s *scanner) array(path string, depth int) bool {
	s.pos++ // [
	s.space()
	if s.pos < len(s.buf) && s.buf[s.pos] == ']' {
		s.pos++
		return true
	}
	for i := 0; ; i++ {
		s.space()
		if !s.value(path+"["+strconv.Itoa(i)+"]", depth+1) {
			return false
		}
		if done, ok := s.next(']'); done || !ok {
			return ok
		}
	}
}

const (
	msgNUL     = "must not contain NUL characters"
	msgNotUTF8 = "must be valid UTF-8"
)

// str scans a string literal and returns its decoded text (for keys), what
// is wrong with it ("" when nothing) and whether it was well-formed.
func (s *scanner) str() (text, bad string, ok bool) {
	start := s.pos
	s.pos++ // opening quote
	escaped := false
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			lit := s.buf[start:s.pos]
			if !utf8.Valid(lit) {
				return "", msgNotUTF8, true
			}
			if !escaped {
				return string(lit[1 : len(lit)-1]), bad, true
			}
			// Raw NULs are not JSON; drop them to read the text the
			// field is named by (the NUL itself is already reported).
			if err := json.Unmarshal(bytes.ReplaceAll(lit, []byte{0}, nil), &text); err != nil {
				return "", "", false
			}
			return text, bad, true
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.buf) {
				return "", "", false
			}
			if s.buf[s.pos+1] != 'u' {
				s.pos += 2
				continue
			}
			r, ok := s.hex4(s.pos + 2)
			if !ok {
				return "", "", false
			}
			s.pos += 6
			switch {
			case r == 0:
				bad = msgNUL
			case r >= 0xD800 && r < 0xDC00:
				// A high surrogate must be followed by a low one.
				lo, ok := s.hex4(s.pos + 2)
				if s.pos+1 < len(s.buf) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' && ok && lo >= 0xDC00 && lo < 0xE000 {
					s.pos += 6
				} else if bad == "" {
					bad = msgNotUTF8
				}
			case r >= 0xDC00 && r < 0xE000:
				if bad == "" {
					bad = msgNotUTF8
				}
			}
		case c == 0:
			bad = msgNUL
			s.pos++
		case c < 0x20:
			return "", "", false
		default:
			s.pos++
		}
	}
	return "", "", false
}

// hex4 reads four hex digits at i.
func (s *scanner) hex4(i int) (rune, bool) {
	if i+4 > len(s.buf) {
		return 0, false
	}
	var r rune
	for _, c := range s.buf[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}
