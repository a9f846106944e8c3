// Package textutil holds the small string helpers that several packages
// need and that must behave the same everywhere, such as cutting client
// supplied text to a byte budget without leaving invalid UTF-8 behind.
//
//	name := textutil.Truncate(r.UserAgent(), 512)
package textutil
