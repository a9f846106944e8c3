package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 document of every route, kept in the
// repository beside the code and checked against the route table by the
// tests. It is never written to: OpenAPI hands out copies.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns a copy of the OpenAPI 3.1 document of every route, with
// the servers URL of the default mount path, /api/v1. The handler serves
// it at /openapi.json with the servers URL of its own mount path.
func OpenAPI() []byte {
	return bytes.Clone(openAPIDoc)
}

// openAPIFor returns the document with mountPath as its servers URL.
func openAPIFor(mountPath string) []byte {
	if mountPath == DefaultMountPath {
		return openAPIDoc
	}
	from := []byte(`"url": "` + DefaultMountPath + `"`)
	to, _ := json.Marshal(mountPath)
	out := bytes.Replace(openAPIDoc, from, append([]byte(`"url": `), to...), 1)
	if bytes.Equal(out, openAPIDoc) {
		panic("httpapi: openapi.json has no servers URL " + DefaultMountPath)
	}
	return out
}

func (a *api) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(a.openAPIBody)
}
