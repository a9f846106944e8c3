package store

import (
	"context"
	"strings"
	"time"
)

// ErasureStore holds what GDPR erasure and the purge job need beyond the
// other aggregates.
type ErasureStore interface {
	// DeleteUser deletes the user row and every row keyed to it (sessions
	// and their refresh tokens, one-time tokens, 2FA and backup codes, role
	// assignments, password history, notifications, avatar rows, the
	// outbox events and mail jobs about the user) without relying on
	// cascades, and removes the user as actor of the outbox events about
	// others. Audit entries stay. It returns ErrUserNotFound
	// when no such user exists.
	DeleteUser(ctx context.Context, userID string) error
	// ForgetIdentifiers deletes the lock-out records whose identifier is
	// one of ids and the rate-limit windows whose key ends in ":" and one
	// of ids (the per-address and per-identifier limits), ignoring letter
	// case, and returns how many rows it deleted.
	ForgetIdentifiers(ctx context.Context, ids ...string) (int, error)
	// ClaimPurgeable returns up to limit ids of soft-deleted users whose
	// PurgeAfter is at or before now, oldest first. Inside a transaction
	// it locks them until the transaction ends and skips users another
	// transaction holds (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
	// writer lock serialises), so concurrent purges never claim one user
	// twice.
	ClaimPurgeable(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// ErasedValue replaces a metadata value that could hold personal data.
const ErasedValue = "[erased]"

// personalKeys are the parts of metadata keys whose values are personal
// data whatever they hold: an "old_email" of an email change is no longer
// the account's email, so matching the values alone would miss it.
var personalKeys = []string{"email", "username", "first_name", "last_name", "display_name",
	"full_name", "phone", "address", "ip", "user_agent", "firstname", "lastname", "displayname"}

// ScrubMetadata returns md with every value replaced by ErasedValue whose
// key names personal data (an email, a name, a phone number, an IP or
// user agent) or that contains one of personal, ignoring letter case, and
// reports whether it changed anything. md itself is not modified. Empty
// strings in personal are ignored.
func ScrubMetadata(md map[string]string, personal []string) (map[string]string, bool) {
	var out map[string]string
	for k, v := range md {
		if v == ErasedValue || !isPersonal(k, v, personal) {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(md))
			for k2, v2 := range md {
				out[k2] = v2
			}
		}
		out[k] = ErasedValue
	}
	if out == nil {
		return md, false
	}
	return out, true
}

func isPersonal(key, value string, personal []string) bool {
	k := strings.ToLower(key)
	for _, p := range personalKeys {
		if k == p || strings.HasPrefix(k, p+"_") || strings.HasSuffix(k, "_"+p) || strings.Contains(k, "_"+p+"_") {
			return true
		}
	}
	v := strings.ToLower(value)
	for _, p := range personal {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" && strings.Contains(v, p) {
			return true
		}
	}
	return false
}
