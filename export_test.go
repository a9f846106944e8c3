package usermgmt

import "github.com/usermgmt/usermgmt/users"

// WithEraser sets the Eraser of permanent deletion, for tests that watch
// it; the Manager's own is m.GDPR().Erase.
func WithEraser(e users.Eraser) Option {
	return func(c *config) { c.eraser = e }
}
