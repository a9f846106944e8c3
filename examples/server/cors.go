//go:build usermgmt_cors

package main

import "github.com/usermgmt/usermgmt"

// corsOption allows browsers on these origins to call the API.
func corsOption(origins []string) (usermgmt.Option, error) {
	return usermgmt.WithCORS(origins...), nil
}
