package admin

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/usermgmt/usermgmt/store"
)

// importColumns are the columns an import file may name, in the letter
// case API.md gives (matched ignoring case).
var importColumns = []string{"email", "username", "firstName", "lastName", "phoneNumber", "roles", "emailVerified", "password"}

// csvSource reads an import file record by record.
type csvSource struct {
	r    *csv.Reader
	cols map[string]int // column name -> index
	n    int            // columns in the header
}

// NewCSVSource reads an import file: RFC 4180 CSV whose header (line 1)
// names columns among email (required), username, firstName, lastName,
// phoneNumber, roles (names joined by ";"), emailVerified (true/false,
// 1/0, yes/no) and password, in any order and letter case; then one user
// a record. A UTF-8 byte-order mark is skipped. A leading apostrophe
// before =, +, -, @, a tab or a carriage return is dropped, so that a file
// this library exported (which neutralises formulas so) reads back as it
// was. A header problem, or CSV that does not parse, is a Validation
// naming "file". It reads as it goes: memory does not grow with the file.
func NewCSVSource(r io.Reader) (ImportSource, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileError("is empty: it needs a header line naming the columns")
	}
	if err != nil {
		return nil, csvError(err)
	}
	cols, err := headerColumns(header)
	if err != nil {
		return nil, err
	}
	return &csvSource{r: cr, cols: cols, n: len(header)}, nil
}

func headerColumns(header []string) (map[string]int, error) {
	known := make(map[string]string, len(importColumns))
	for _, c := range importColumns {
		known[strings.ToLower(c)] = c
	}
	cols := make(map[string]int, len(header))
	for i, h := range header {
		name, ok := known[strings.ToLower(strings.TrimSpace(h))]
		switch {
		case !ok:
			return nil, fileError("line 1: unknown column " + quote(h) + "; columns are " + strings.Join(importColumns, ", "))
		case cols[name] != 0:
			return nil, fileError("line 1: column " + name + " is named twice")
		}
		cols[name] = i + 1 // 1-based, so that 0 means absent
	}
	if cols["email"] == 0 {
		return nil, fileError("line 1: the header must name an email column")
	}
	return cols, nil
}

func fileError(msg string) error {
	return store.Validation(store.FieldError{Field: "file", Message: msg})
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fileError("line " + strconv.Itoa(pe.StartLine) + ": " + pe.Err.Error())
	}
	return err
}

func (s *csvSource) Next() (ImportRow, error) {
	rec, err := s.r.Read()
	if err != nil {
		return ImportRow{}, csvError(err)
	}
	line, _ := s.r.FieldPos(0)
	row := ImportRow{Line: line}
	if len(rec) != s.n {
		row.Invalid = store.Validation(store.FieldError{Field: "line",
			Message: "has " + strconv.Itoa(len(rec)) + " fields; the header names " + strconv.Itoa(s.n)})
		return row, nil
	}
	cell := func(name string) string {
		if i := s.cols[name]; i > 0 {
			return unneutralise(rec[i-1])
		}
		return ""
	}
	row.Email, row.Username, row.Password = cell("email"), cell("username"), cell("password")
	row.FirstName, row.LastName, row.PhoneNumber = cell("firstName"), cell("lastName"), cell("phoneNumber")
	row.Roles = splitRoles(cell("roles"))
	if v, ok := parseFlag(cell("emailVerified")); ok {
		row.EmailVerified = v
	} else {
		row.Invalid = store.Validation(store.FieldError{Field: "emailVerified", Message: "must be true or false"})
	}
	return row, nil
}

// unneutralise drops the apostrophe an export put before a formula
// character.
func unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte("=+-@\t\r", s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// splitRoles reads "a;b"; an empty cell gives nil, the sign-up roles.
func splitRoles(cell string) []string {
	var out []string
	for _, r := range strings.Split(cell, ";") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func parseFlag(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no":
		return false, true
	case "true", "1", "yes":
		return true, true
	}
	return false, false
}
