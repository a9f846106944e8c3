package bunstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/usermgmt/usermgmt/store"
)

// notifyChannelSQL names the channel of this store's schema, so that
// stores sharing a database in different schemas hear only their own
// changes. The hash keeps the name under PostgreSQL's 63 bytes whatever
// the schema is called.
const notifyChannelSQL = `'usermgmt_' || left(md5(current_schema()), 16)`

// maxNotice keeps each pg_notify payload under PostgreSQL's 8,000 bytes.
const maxNotice = 7000

// encodeChanges writes changes as notices of at most maxNotice bytes:
// "instance|kind,user,session;kind,user,session...". The kind travels as
// its number, so every kind of store.Change, including ones added later,
// crosses instances the same way.
func encodeChanges(instance string, changes []store.Change) []string {
	var out []string
	var b strings.Builder
	for _, c := range changes {
		item := strconv.Itoa(int(c.Kind)) + "," + c.UserID + "," + c.SessionID
		if b.Len() > 0 && b.Len()+1+len(item) > maxNotice {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(instance)
			b.WriteByte('|')
		} else {
			b.WriteByte(';')
		}
		b.WriteString(item)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// decodeChanges reads a notice; ok is false for a notice this instance
// sent (already announced here) or one it cannot read.
func decodeChanges(instance, notice string) (changes []store.Change, ok bool) {
	from, body, found := strings.Cut(notice, "|")
	if !found || from == instance {
		return nil, false
	}
	for _, item := range strings.Split(body, ";") {
		parts := strings.Split(item, ",")
		if len(parts) != 3 {
			return nil, false
		}
		kind, err := strconv.ParseUint(parts[0], 10, 8)
		if err != nil || kind == 0 {
			return nil, false
		}
		changes = append(changes, store.Change{Kind: store.ChangeKind(kind), UserID: parts[1], SessionID: parts[2]})
	}
	return changes, true
}

// notify sends changes to the other instances on db. Inside a transaction
// PostgreSQL delivers the notices when it commits, and never when it rolls
// back. All notices go in one statement: one round trip.
func (s *Store) notify(ctx context.Context, db bun.IDB, changes []store.Change) error {
	if s.listener == nil || len(changes) == 0 {
		return nil
	}
	notices := encodeChanges(s.listener.instance, changes)
	var q strings.Builder
	args := make([]any, len(notices))
	q.WriteString("SELECT ")
	for i, n := range notices {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("pg_notify(" + notifyChannelSQL + ", ?)")
		args[i] = n
	}
	_, err := db.ExecContext(ctx, q.String(), args...)
	return err
}
