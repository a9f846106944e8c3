package httpapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"
)

// avatarFile is GET /avatars/{file}: a stored rendition with its own
// content type, never sniffed, and cached for a year (names are never
// reused for other bytes).
func (a *api) avatarFile(w http.ResponseWriter, r *http.Request) {
	f, err := a.cfg.Avatars.Open(r.Context(), r.PathValue("file"))
	if err != nil {
		a.problem(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Cache-Control", f.CacheControl)
	h.Set("ETag", f.ETag)
	if etagMatches(r.Header.Get("If-None-Match"), f.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Last-Modified", f.ModTime.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		if _, err := io.Copy(w, f); err != nil {
			a.log.WarnContext(r.Context(), "avatar copy failed", "err", err)
		}
	}
}

// etagMatches reports whether an If-None-Match value names etag (or is
// "*"), weak or strong, as RFC 9110 §13.1.2 compares.
func etagMatches(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag {
			return true
		}
	}
	return false
}

// isAvatarPath reports whether a request the mux would redirect (a path
// with "..", "." or "//", plain or percent-encoded) is below /avatars/:
// those get 404, not a redirect to wherever the cleaned path points.
func isAvatarPath(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/avatars/")
}
