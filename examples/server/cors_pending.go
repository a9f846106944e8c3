//go:build !usermgmt_cors

package main

import (
	"errors"

	"github.com/usermgmt/usermgmt"
)

// corsOption stands in for usermgmt.WithCORS until that option lands
// (cors.go, built with -tags usermgmt_cors, calls it). Until then a server
// asked for CORS refuses to start rather than silently serving none.
func corsOption([]string) (usermgmt.Option, error) {
	return nil, errors.New("this build has no CORS support yet (usermgmt.WithCORS)")
}
