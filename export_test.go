package usermgmt

import "github.com/usermgmt/usermgmt/users"

// WithEraser sets the Eraser of permanent deletion, for tests until the
// gdpr service is wired in the root.
func WithEraser(e users.Eraser) Option {
	return func(c *config) { c.eraser = e }
}
