package httpapi

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/admin"
	"github.com/usermgmt/usermgmt/store"
)

// exportFlushEvery is how many rows an export writes between flushes, so
// that a client sees progress and nothing piles up in buffers.
const exportFlushEvery = 1000

// exportColumns are the CSV columns of GET /admin/users/export, in order.
var exportColumns = []string{"id", "email", "username", "firstName", "lastName", "status", "emailVerified", "roles", "createdAt", "lastLoginAt"}

// exportFormats are the formats of the export: content type and file
// extension.
var exportFormats = map[string]struct{ contentType, ext string }{
	"csv":    {"text/csv; charset=utf-8", "csv"},
	"json":   {"application/json", "json"},
	"ndjson": {"application/x-ndjson", "ndjson"},
}

func (a *api) exportUsers(w http.ResponseWriter, r *http.Request) {
	f, err := parseAdminUserFilter(r)
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	kind, ok := exportFormats[format]
	if !ok {
		err = joinValidation(err, store.Validation(store.FieldError{Field: "format", Message: "must be csv, json or ndjson"}))
	}
	if err != nil {
		a.problem(w, r, err)
		return
	}
	lw := &lazyAttachment{w: w, contentType: kind.contentType, filename: "users-export." + kind.ext}
	enc := newUserEncoder(format, lw)
	_, err = a.cfg.Admin.Export(r.Context(), f, enc.row)
	if err == nil {
		err = enc.close()
	}
	switch {
	case err == nil && !lw.started:
		lw.start()
	case err != nil && !lw.started:
		a.problem(w, r, err)
	case err != nil:
		a.log.ErrorContext(r.Context(), "user export failed", "request_id", requestID(r.Context()), "err", err)
		panic(http.ErrAbortHandler) // cut the response short: a truncated file must not look whole
	}
}

// userEncoder writes exported rows in one format.
type userEncoder struct {
	buf   *bufio.Writer
	out   *lazyAttachment
	csv   *csv.Writer // nil for JSON formats
	array bool        // json: one array
	n     int
}

func newUserEncoder(format string, out *lazyAttachment) *userEncoder {
	e := &userEncoder{buf: bufio.NewWriterSize(out, 64<<10), out: out, array: format == "json"}
	if format == "csv" {
		e.csv = csv.NewWriter(e.buf)
		e.csv.UseCRLF = true // RFC 4180
	}
	return e
}

// begin writes what precedes the first row.
func (e *userEncoder) begin() error {
	switch {
	case e.csv != nil:
		return e.csv.Write(exportColumns)
	case e.array:
		return e.buf.WriteByte('[')
	}
	return nil
}

func (e *userEncoder) row(row admin.ExportRow) error {
	if e.n == 0 {
		if err := e.begin(); err != nil {
			return err
		}
	}
	e.n++
	if err := e.write(row); err != nil {
		return err
	}
	if e.n%exportFlushEvery == 0 {
		return e.flush()
	}
	return nil
}

func (e *userEncoder) write(row admin.ExportRow) error {
	if e.csv != nil {
		return e.csv.Write(csvCells(row))
	}
	if e.array && e.n > 1 {
		if err := e.buf.WriteByte(','); err != nil {
			return err
		}
	}
	b, err := json.Marshal(toExportJSON(row))
	if err != nil {
		return err
	}
	if _, err := e.buf.Write(b); err != nil {
		return err
	}
	if e.array {
		return nil
	}
	return e.buf.WriteByte('\n')
}

// close writes the end of the export and flushes it.
func (e *userEncoder) close() error {
	if e.n == 0 {
		if err := e.begin(); err != nil {
			return err
		}
	}
	if e.array {
		if _, err := e.buf.WriteString("]\n"); err != nil {
			return err
		}
	}
	return e.flush()
}

func (e *userEncoder) flush() error {
	if e.csv != nil {
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	}
	if err := e.buf.Flush(); err != nil {
		return err
	}
	return e.out.flush()
}

// csvCells is the CSV record of row, every cell neutralised.
func csvCells(row admin.ExportRow) []string {
	last := ""
	if row.LastLoginAt != nil {
		last = exportTime(*row.LastLoginAt)
	}
	cells := []string{row.ID, row.Email, row.Username, row.FirstName, row.LastName, string(row.Status),
		strconv.FormatBool(row.EmailVerified), strings.Join(row.Roles, ";"), exportTime(row.CreatedAt), last}
	for i, c := range cells {
		cells[i] = neutraliseCell(c)
	}
	return cells
}

// neutraliseCell defuses CSV injection (OWASP): a spreadsheet takes a cell
// beginning with =, +, -, @, a tab or a carriage return for a formula, so
// such a cell gets a leading apostrophe, which spreadsheets show as text.
// encoding/csv then quotes whatever needs quoting.
func neutraliseCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

func exportTime(t time.Time) string { return utcTime(t).Format(time.RFC3339Nano) }

// exportUserJSON is a user in the JSON and NDJSON exports: the CSV
// columns, with roles as an array.
type exportUserJSON struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	Username      *string    `json:"username"`
	FirstName     *string    `json:"firstName"`
	LastName      *string    `json:"lastName"`
	Status        string     `json:"status"`
	EmailVerified bool       `json:"emailVerified"`
	Roles         []string   `json:"roles"`
	CreatedAt     time.Time  `json:"createdAt"`
	LastLoginAt   *time.Time `json:"lastLoginAt"`
}

func toExportJSON(row admin.ExportRow) exportUserJSON {
	roles := row.Roles
	if roles == nil {
		roles = []string{}
	}
	return exportUserJSON{ID: row.ID, Email: row.Email, Username: nullable(row.Username), FirstName: nullable(row.FirstName),
		LastName: nullable(row.LastName), Status: string(row.Status), EmailVerified: row.EmailVerified, Roles: roles,
		CreatedAt: utcTime(row.CreatedAt), LastLoginAt: utcPtr(row.LastLoginAt)}
}
