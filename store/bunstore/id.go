package bunstore

import "github.com/google/uuid"

// newID returns a UUIDv7: time-ordered, so primary-key indexes stay
// append-mostly and ids sort by creation for keyset pagination.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// validID reports whether s is a UUID, the only form an id column holds.
func validID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}
