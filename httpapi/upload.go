package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usermgmt/usermgmt/avatars"
	"github.com/usermgmt/usermgmt/store"
)

// multipartOverhead is what the POST's body may carry beyond the image:
// boundaries, part headers, other small fields.
const multipartOverhead = 64 << 10

// uploadBodyLimit is the body cap of the upload routes, which carry
// images larger than the JSON routes' BodyLimit; ok is false for every
// other route.
func (a *api) uploadBodyLimit(r *http.Request) (limit int64, ok bool) {
	if a.cfg.Avatars == nil {
		return 0, false
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/upload/avatar":
		return a.cfg.Avatars.MaxBytes() + multipartOverhead, true
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/upload/avatar/"):
		return a.cfg.Avatars.MaxBytes(), true
	}
	return 0, false
}

// tooLarge turns the body cap's error into the domain's 413 while the
// service reads, so that the refusal comes as the byte past the cap
// arrives, not after the whole body.
type tooLarge struct{ r io.Reader }

func (t tooLarge) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return n, store.ErrPayloadTooLarge.WithMessage("the image is larger than the limit")
	}
	return n, err
}

type avatarURLJSON struct {
	AvatarURL string `json:"avatarUrl"`
}

// uploadAvatar is POST /upload/avatar: the multipart field "avatar",
// streamed to the service (no temporary file), judged by its content.
func (a *api) uploadAvatar(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		a.problem(w, r, store.ErrUnsupportedMediaType.WithMessage("send multipart/form-data with the image in the field avatar"))
		return
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				a.problem(w, r, store.ErrPayloadTooLarge)
			case errors.Is(err, io.EOF):
				a.problem(w, r, store.Validation(store.FieldError{Field: "avatar", Message: "is required"}))
			default:
				a.problem(w, r, store.ErrValidation.WithMessage("the multipart body is malformed").Wrap(err))
			}
			return
		}
		if part.FormName() != "avatar" {
			continue
		}
		url, err := a.cfg.Avatars.Upload(r.Context(), principal(r).UserID, tooLarge{part})
		if err != nil {
			a.problem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, avatarURLJSON{AvatarURL: url})
		return
	}
}

// deleteAvatar is DELETE /upload/avatar.
func (a *api) deleteAvatar(w http.ResponseWriter, r *http.Request) {
	if err := a.cfg.Avatars.Delete(r.Context(), principal(r).UserID); err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type signedUploadJSON struct {
	ObjectID  string    `json:"objectId"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// signAvatarUpload is GET /upload/avatar-url?contentType=&contentLength=.
func (a *api) signAvatarUpload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := strconv.ParseInt(q.Get("contentLength"), 10, 64)
	if err != nil {
		a.problem(w, r, store.Validation(store.FieldError{Field: "contentLength", Message: "must be a number of bytes"}))
		return
	}
	s, err := a.cfg.Avatars.SignUpload(r.Context(), mediaType(q.Get("contentType")), n)
	if err != nil {
		a.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, signedUploadJSON{ObjectID: s.ObjectID, URL: s.URL, ExpiresAt: s.ExpiresAt.UTC()})
}

// putSignedAvatar is PUT /upload/avatar/{objectId}: the raw image as the
// body, authorised by the signature in the URL alone.
func (a *api) putSignedAvatar(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	_, err := a.cfg.Avatars.PutSigned(r.Context(), avatars.SignedPut{
		ObjectID: r.PathValue("objectId"), Expires: q.Get("expires"), Signature: q.Get("signature"),
		ContentType: mediaType(r.Header.Get("Content-Type")),
	}, tooLarge{r.Body})
	if err != nil {
		a.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mediaType is the type of a Content-Type value without its parameters,
// lower-cased; "" when it does not parse.
func mediaType(v string) string {
	t, _, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return t
}
