package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/usermgmt/usermgmt/store"
)

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own wire types are encoded; this is a programming error.
		panic("httpapi: encode response: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// decodeJSON reads the request body strictly into dst: the media type must
// be JSON (415), the body fit the limit (413), parse (MALFORMED_JSON), and
// carry only known fields of the right types (VALIDATION_FAILED naming
// each offending field).
func (a *api) decodeJSON(r *http.Request, dst any) error {
	if !isJSON(r.Header.Get("Content-Type")) {
		return store.ErrUnsupportedMediaType.WithMessage("content type must be application/json")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return store.ErrPayloadTooLarge
		}
		return store.ErrMalformedJSON.Wrap(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return store.ErrMalformedJSON.WithMessage("request body is empty")
	}
	return decodeStrict(body, dst)
}

// decodeStrict decodes a JSON object into the struct dst field by field, so
// that every unknown field and every wrong type is reported, not only the
// first. What encoding/json would silently repair or let the last copy win
// (duplicate keys, invalid UTF-8, NUL characters; see scanStrict) is
// refused, naming the field, before anything is decoded.
func decodeStrict(body []byte, dst any) error {
	scanned, ok := scanStrict(body)
	if len(scanned) > 0 {
		sort.Slice(scanned, func(i, j int) bool { return scanned[i].Field < scanned[j].Field })
		return store.Validation(scanned...)
	}
	if !ok && !utf8.Valid(body) {
		return store.ErrMalformedJSON.WithMessage("request body is not valid UTF-8")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return store.ErrMalformedJSON.WithMessage("request body must be a JSON object")
		}
		return store.ErrMalformedJSON.Wrap(err)
	}
	if obj == nil {
		return store.ErrMalformedJSON.WithMessage("request body must be a JSON object")
	}
	v := reflect.ValueOf(dst).Elem()
	fields := jsonFields(v.Type())
	var problems []store.FieldError
	for name, raw := range obj {
		idx, ok := fields[name]
		if !ok {
			problems = append(problems, store.FieldError{Field: name, Message: "is not a known field"})
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v.FieldByIndex(idx).Addr().Interface()); err != nil {
			problems = append(problems, fieldProblemOf(name, err))
		}
	}
	if len(problems) > 0 {
		sort.Slice(problems, func(i, j int) bool { return problems[i].Field < problems[j].Field })
		return store.Validation(problems...)
	}
	return nil
}

// fieldProblemOf describes why one field's value did not decode.
func fieldProblemOf(name string, err error) store.FieldError {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field != "" {
			name += "." + ute.Field
		}
		return store.FieldError{Field: name, Message: "must be " + jsonKind(ute.Type.Kind().String())}
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		inner := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return store.FieldError{Field: name + "." + inner, Message: "is not a known field"}
	}
	return store.FieldError{Field: name, Message: "is not valid"}
}

// fieldCache maps struct types to their JSON field names and indexes.
var fieldCache sync.Map // reflect.Type -> map[string][]int

func jsonFields(t reflect.Type) map[string][]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string][]int)
	}
	m := make(map[string][]int)
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Index
	}
	fieldCache.Store(t, m)
	return m
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a number"
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
