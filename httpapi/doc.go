// Package httpapi is the HTTP surface of usermgmt: routes on
// net/http.ServeMux method patterns, the middleware every request passes
// (request id, panic recovery, access log, security headers and
// Cache-Control: no-store, CORS, rate limits, body limit),
// strict JSON decoding and RFC 9457 problem documents.
//
// Handlers parse, call one service method and render; no business rule
// lives here. Paths are relative, so a host mounts the handler under any
// prefix:
//
//	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", httpapi.New(cfg)))
//
// A router that mounts without stripping (chi's r.Mount("/api/v1", h))
// works too: a path that still starts with Config.MountPath has it
// stripped by the handler.
//
// Every error is answered as application/problem+json with a stable code.
// The OpenAPI 3.1 document of every route is served at /openapi.json.
package httpapi
