package httpapi

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/store"
)

// FuzzDecodeStrict feeds arbitrary bodies to the strict decoder: it must
// never panic, and must answer either success or one of the two client
// errors, never anything that would become a 500.
func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@example.com","age":3,"tags":["x"],"options":{"dark":true}}`,
		`{"email":5}`, `{"x":1}`, `[]`, `null`, `{`, `{"options":{"dark":"yes","y":[]}}`,
		`{"email":"\u0000"}`, `{"tags":[1,2,{}]}`, `"str"`, `{"age":1e400}`,
		`{"email":"a","email":"b"}`, `{"options":{"dark":true,"dark":false}}`, `{"tags":[{"a":1,"a":2}]}`,
		`{"email":"a","\u0065mail":"b"}`, "{\"email\":\"a\x00b\"}", "{\"email\":\"a\xffb\"}",
		"{\"e\xffmail\":1}", `{"email":"\ud800"}`, `{"email":"\udc00\ud800\udc00"}`, `{"email":"\u00"}`,
		`{"email":"\`, `{"a":[[[[[[]]]]]]}`, "{\"email\":\"\x00\\u0000\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst echoBody
		err := decodeStrict(body, &dst)
		if err == nil {
			return
		}
		if !errors.Is(err, store.ErrMalformedJSON) && !errors.Is(err, store.ErrValidation) {
			t.Fatalf("decodeStrict(%q) = %v, want MALFORMED_JSON or VALIDATION_FAILED", body, err)
		}
		return
	})
}

// FuzzDecodeStrictNeverRepairs checks the other half of strictness: what
// decodeStrict accepts decodes to strings that are valid UTF-8 without
// NUL, so nothing was silently repaired or cut.
func FuzzDecodeStrictNeverRepairs(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@example.com","tags":["x"]}`, `{"email":"\u0000"}`, "{\"email\":\"\xff\"}",
		`{"email":"\ud800"}`, `{"tags":["\u0000"]}`, `{"email":"zoë"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst echoBody
		if decodeStrict(body, &dst) != nil {
			return
		}
		for _, s := range append([]string{dst.Email}, dst.Tags...) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.ContainsRune(s, utf8.RuneError) && !bytes.Contains(body, []byte("\xef\xbf\xbd")) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
				t.Fatalf("decodeStrict(%q) accepted and gave %q", body, s)
			}
		}
	})
}
