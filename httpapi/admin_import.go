package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/store"
)

// importPath is the route of the import, which has its own body limit.
const importPath = "/admin/users/import"

type importErrorJSON struct {
	Row     int    `json:"row"`
	Message string `json:"message"`
}

type importResultJSON struct {
	Created       int               `json:"created"`
	Skipped       int               `json:"skipped"`
	Errors        []importErrorJSON `json:"errors"`
	ErrorsOmitted int               `json:"errorsOmitted"`
}

func (a *api) importUsers(w http.ResponseWriter, r *http.Request) {
	opt, err := parseImportOptions(r)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	src, err := importSource(r)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	res, err := a.cfg.Admin.Import(r.Context(), src, opt)
	if err != nil {
		a.problem(w, r, bodyError(err))
		return
	}
	out := importResultJSON{Created: res.Created, Skipped: res.Skipped, Errors: make([]importErrorJSON, len(res.Errors)), ErrorsOmitted: res.ErrorsOmitted}
	for i, e := range res.Errors {
		out.Errors[i] = importErrorJSON{Row: e.Row, Message: e.Message}
	}
	writeJSON(w, http.StatusOK, out)
}

func parseImportOptions(r *http.Request) (admin.ImportOptions, error) {
	var opt admin.ImportOptions
	var fields []store.FieldError
	q := r.URL.Query()
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"dryRun", &opt.DryRun}, {"sendInvites", &opt.SendInvites}} {
		switch v := q.Get(b.name); v {
		case "", "false":
		case "true":
			*b.dst = true
		default:
			fields = append(fields, store.FieldError{Field: b.name, Message: "must be true or false"})
		}
	}
	if len(fields) > 0 {
		return opt, store.Validation(fields...)
	}
	return opt, nil
}

// importSource reads the upload: the CSV in the multipart field "file", or
// JSON {"users":[...]}; both stream.
func importSource(r *http.Request) (admin.ImportSource, error) {
	ct := r.Header.Get("Content-Type")
	switch {
	case isJSON(ct):
		return newJSONImport(r.Body)
	case strings.HasPrefix(strings.ToLower(ct), "multipart/form-data"):
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, store.Validation(store.FieldError{Field: "file", Message: "the multipart body does not parse"})
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return nil, bodyError(missingFile(err))
			}
			if part.FormName() == "file" {
				src, err := admin.NewCSVSource(part)
				return src, bodyError(err)
			}
		}
	}
	return nil, store.ErrUnsupportedMediaType.WithMessage("content type must be multipart/form-data (a CSV in the field file) or application/json")
}

func missingFile(err error) error {
	if errors.Is(err, io.EOF) {
		return store.Validation(store.FieldError{Field: "file", Message: "is required: a CSV file in the multipart field file"})
	}
	return err
}

// bodyError turns a body read over the limit into 413 and other read
// failures of the upload into a 400 naming "file".
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return store.ErrPayloadTooLarge
	case errors.As(err, new(*store.Error)):
		return err
	}
	return store.Validation(store.FieldError{Field: "file", Message: "could not be read"})
}

// importUserJSON is one user of a JSON import.
type importUserJSON struct {
	Email         string   `json:"email"`
	Username      string   `json:"username"`
	FirstName     string   `json:"firstName"`
	LastName      string   `json:"lastName"`
	PhoneNumber   string   `json:"phoneNumber"`
	Roles         []string `json:"roles"`
	EmailVerified bool     `json:"emailVerified"`
	Password      string   `json:"password"`
}

// jsonImport streams the elements of {"users":[...]}, one at a time.
type jsonImport struct {
	dec *json.Decoder
	n   int
}

func newJSONImport(body io.Reader) (admin.ImportSource, error) {
	dec := json.NewDecoder(body)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bodyError(malformed(err))
	}
	j := &jsonImport{dec: dec}
	return j, j.enterUsers()
}

func malformed(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return store.ErrMalformedJSON.WithMessage("the body must be a JSON object {\"users\":[...]}")
}

// enterUsers reads up to the users array's first element.
func (j *jsonImport) enterUsers() error {
	t, err := j.dec.Token()
	if err != nil {
		return bodyError(malformed(err))
	}
	if key, _ := t.(string); key != "users" {
		if t == json.Delim('}') {
			return store.Validation(store.FieldError{Field: "users", Message: "is required"})
		}
		return store.Validation(store.FieldError{Field: fmt.Sprint(t), Message: "is not a known field"})
	}
	if t, err := j.dec.Token(); err != nil || t != json.Delim('[') {
		if err != nil {
			return bodyError(malformed(err))
		}
		return store.Validation(store.FieldError{Field: "users", Message: "must be an array"})
	}
	return nil
}

func (j *jsonImport) Next() (admin.ImportRow, error) {
	if !j.dec.More() {
		return admin.ImportRow{}, j.end()
	}
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		return admin.ImportRow{}, bodyError(malformed(err))
	}
	j.n++
	var u importUserJSON
	row := admin.ImportRow{Line: j.n}
	if err := decodeStrict(raw, &u); err != nil {
		row.Invalid = err
		return row, nil
	}
	row.Email, row.Username, row.FirstName, row.LastName = u.Email, u.Username, u.FirstName, u.LastName
	row.PhoneNumber, row.Roles, row.EmailVerified, row.Password = u.PhoneNumber, u.Roles, u.EmailVerified, u.Password
	return row, nil
}

// end checks that nothing but the closing brackets follows the array.
func (j *jsonImport) end() error {
	for _, want := range []json.Delim{']', '}'} {
		if t, err := j.dec.Token(); err != nil || t != want {
			if err != nil {
				return bodyError(malformed(err))
			}
			return store.Validation(store.FieldError{Field: fmt.Sprint(t), Message: "is not a known field"})
		}
	}
	return io.EOF
}
