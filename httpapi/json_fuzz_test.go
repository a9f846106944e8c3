package httpapi

import (
	"errors"
	"testing"

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
	})
}
