package bunstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usermgmt/usermgmt/store"
)

// uniqueIndexErrors maps unique indexes to the domain errors they raise.
var uniqueIndexErrors = map[string]*store.Error{
	"users_email_key":    store.ErrEmailTaken,
	"users_username_key": store.ErrUsernameTaken,
	"roles_name_key":     store.ErrRoleExists,
}

// translate turns a driver error into a domain error. notFound, when not
// nil, is what a missing row (or an id the database cannot even parse)
// means to the caller. Domain errors pass through unchanged.
func translate(err error, notFound *store.Error) error {
	if err == nil {
		return nil
	}
	var de *store.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) && notFound != nil {
		return notFound
	}
	if index, ok := uniqueViolation(err); ok {
		if e, ok := uniqueIndexErrors[index]; ok {
			return e.Wrap(err)
		}
		return store.ErrConflict.Wrap(err)
	}
	if notFound != nil && invalidInput(err) {
		return notFound
	}
	if unavailable(err) {
		return store.ErrStoreUnavailable.Wrap(err)
	}
	return fmt.Errorf("bunstore: %w", err)
}

// uniqueViolation reports whether err is a unique-constraint violation and
// names the index.
func uniqueViolation(err error) (string, bool) {
	var pe pgdriver.Error
	if errors.As(err, &pe) {
		if pe.Field('C') != "23505" {
			return "", false
		}
		return pe.Field('n'), true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		default:
			return "", false
		}
		// "UNIQUE constraint failed: index 'users_email_key'"
		msg := se.Error()
		if i := strings.Index(msg, "index '"); i >= 0 {
			rest := msg[i+len("index '"):]
			if j := strings.IndexByte(rest, '\''); j >= 0 {
				return rest[:j], true
			}
		}
		return "", true
	}
	return "", false
}

// foreignKeyViolation reports whether err is a foreign-key violation.
func foreignKeyViolation(err error) bool {
	var pe pgdriver.Error
	if errors.As(err, &pe) {
		return pe.Field('C') == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// constraintName returns the constraint PostgreSQL names in err.
func constraintName(err error) string {
	var pe pgdriver.Error
	if errors.As(err, &pe) {
		return pe.Field('n')
	}
	return ""
}

// invalidInput reports whether PostgreSQL refused a value's text form, such
// as an id that is not a UUID: such an id names no row.
func invalidInput(err error) bool {
	var pe pgdriver.Error
	return errors.As(err, &pe) && pe.Field('C') == "22P02"
}

// retryable reports whether a transaction failed only because of
// concurrency and may succeed when run again.
func retryable(err error) bool {
	var pe pgdriver.Error
	if errors.As(err, &pe) {
		code := pe.Field('C')
		return code == "40001" || code == "40P01"
	}
	return false
}

// unavailable reports whether err means the database could not be reached.
func unavailable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &oe), errors.As(err, &ne):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var pe pgdriver.Error
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01..03: the server shuts down.
		code := pe.Field('C')
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P")
	}
	return false
}
