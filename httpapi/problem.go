package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/store"
)

// problemBase prefixes every problem type URI.
const problemBase = "https://usermgmt.dev/problems/"

type fieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problem renders err as an RFC 9457 problem document. Errors that are not
// *store.Error become a 500 that says only "internal error"; the cause of
// every 5xx is logged here, once.
func (a *api) problem(w http.ResponseWriter, r *http.Request, err error) {
	e := store.AsError(err)
	if e.Status == http.StatusForbidden && a.cfg.Audit != nil && !audit.Recorded(err) {
		recordDenied(r, a.cfg.Audit, e, "")
	}
	if e.Status >= 500 {
		a.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "code", e.Code, "err", err)
	}
	if secs, ok := e.Extra["retryAfter"].(int); ok {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	} else if errors.Is(e, store.ErrRateLimited) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "60")
	}
	writeProblem(w, r, e)
}

func writeProblem(w http.ResponseWriter, r *http.Request, e *store.Error) {
	id := requestID(r.Context())
	if id == "" {
		// A host's own route, outside the API's middleware: still give the
		// client an id to quote.
		id = w.Header().Get("X-Request-Id")
		if id == "" {
			id = newRequestID(time.Now())
			w.Header().Set("X-Request-Id", id)
		}
	}
	doc := map[string]any{
		"type":      problemType(e.Code),
		"title":     title(e.Code),
		"status":    e.Status,
		"code":      e.Code,
		"detail":    e.Message,
		"requestId": id,
	}
	if e.Code == store.ErrValidation.Code {
		fields := make([]fieldProblem, len(e.Fields))
		for i, f := range e.Fields {
			fields[i] = fieldProblem{Field: f.Field, Message: f.Message}
		}
		doc["errors"] = fields
		if len(fields) == 1 {
			doc["detail"] = "1 field is invalid"
		} else if len(fields) > 1 {
			doc["detail"] = strconv.Itoa(len(fields)) + " fields are invalid"
		}
	}
	for k, v := range e.Extra {
		if _, taken := doc[k]; !taken && k != "retryAfter" {
			doc[k] = v
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		body = []byte(fmt.Sprintf(`{"type":%q,"status":500,"code":"INTERNAL","title":"Internal","detail":"internal error","requestId":%q}`,
			problemBase+"internal", id))
		e = store.ErrInternal
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// problemType is the type URI of a code: the code in lower kebab case,
// except VALIDATION_FAILED, whose type API.md fixes as .../validation.
func problemType(code string) string {
	if code == store.ErrValidation.Code {
		return problemBase + "validation"
	}
	return problemBase + strings.ReplaceAll(strings.ToLower(code), "_", "-")
}

// title turns a code into a short human title: "EMAIL_TAKEN" -> "Email
// taken". Stable because codes are.
func title(code string) string {
	s := strings.ToLower(strings.ReplaceAll(code, "_", " "))
	if s == "" {
		return s
	}
	s = strings.NewReplacer("mfa", "MFA", "json", "JSON").Replace(s)
	return strings.ToUpper(s[:1]) + s[1:]
}

// WriteError answers err as a problem document, for a host's own handlers:
// a *store.Error keeps its status and code, anything else is a 500 that
// says only "internal error" (the cause goes to log).
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := store.AsError(err)
	if e.Status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeProblem(w, r, e)
}
