package avatars

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/usermgmt/usermgmt/store"
)

// SignedUpload is a URL the signed-in user may PUT one image to, once,
// until ExpiresAt.
type SignedUpload struct {
	ObjectID  string
	URL       string
	ExpiresAt time.Time
}

// SignedPut is what a PUT to a signed URL carries: the object id from the
// path, expires and signature from the query, and the request's
// Content-Type, which must be the one signed.
type SignedPut struct {
	ObjectID    string
	Expires     string
	Signature   string
	ContentType string
}

// errBadSignature is every refusal of a signed URL: which check failed
// is not told.
var errBadSignature = store.ErrUnauthenticated.WithMessage("the upload URL is invalid, expired or already used")

// SignUpload returns a URL to PutSigned an image of contentType and at
// most contentLength bytes to, for the signed-in user in ctx (a user, not
// the system actor: the upload becomes theirs). It refuses a type that is
// not PNG, JPEG, GIF or WebP (ErrUnsupportedMediaType) and a length over
// MaxBytes (ErrPayloadTooLarge) before signing. The URL is the route
// UploadURL/{objectId} with the expiry and an HMAC-SHA256 signature over
// object id, user id, content type, maximum length and expiry; the object
// id is also kept, hashed, as a one-time token, so the URL works once.
func (s *Service) SignUpload(ctx context.Context, contentType string, contentLength int64) (*SignedUpload, error) {
	a, ok := store.ActorFromContext(ctx)
	if !ok || a.UserID == "" {
		return nil, store.ErrUnauthenticated
	}
	switch {
	case !AcceptedType(contentType):
		return nil, store.ErrUnsupportedMediaType.WithMessage("contentType must be image/png, image/jpeg, image/gif or image/webp")
	case contentLength > s.cfg.MaxBytes:
		return nil, store.ErrPayloadTooLarge.WithMessage("contentLength is larger than the limit").With("maxBytes", s.cfg.MaxBytes)
	case contentLength <= 0:
		return nil, store.Validation(store.FieldError{Field: "contentLength", Message: "must be a positive number of bytes"})
	}
	key, err := s.key.get(ctx)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewRandomFromReader(s.cfg.Random)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	exp := now.Add(s.cfg.SignedTTL).Truncate(time.Second)
	objectID := id.String()
	sig := signature(key, objectID, a.UserID, contentType, contentLength, exp.Unix())
	err = s.st.OneTimeTokens().Create(ctx, &store.OneTimeToken{UserID: a.UserID, Purpose: store.PurposeAvatarUpload,
		Hash: objectHash(objectID), Data: contentType + " " + strconv.FormatInt(contentLength, 10),
		CreatedAt: now, ExpiresAt: exp})
	if err != nil {
		return nil, err
	}
	q := url.Values{"expires": {strconv.FormatInt(exp.Unix(), 10)}, "signature": {sig}}
	return &SignedUpload{ObjectID: objectID, URL: s.cfg.UploadURL + "/" + objectID + "?" + q.Encode(), ExpiresAt: exp}, nil
}

// PutSigned completes a direct upload: it checks the signature against
// the spent-once token of the object id and the request's content type,
// then applies every check of Upload, with the signed length as the cap,
// and makes the image the signing user's avatar. A bad, expired, reused
// or tampered URL, or a content type other than the signed one, is
// ErrUnauthenticated. The URL is spent once its signature checks out,
// even when the image is then refused.
func (s *Service) PutSigned(ctx context.Context, p SignedPut, body io.Reader) (string, error) {
	tok, max, err := s.spend(ctx, p)
	if err != nil {
		return "", err
	}
	ctx = store.NewContextWithActor(ctx, store.Actor{UserID: tok.UserID})
	return s.accept(ctx, tok.UserID, body, max, func(u *store.User) error {
		if u.Status != store.StatusActive || u.DeletedAt != nil {
			return errBadSignature
		}
		return nil
	})
}

// spend verifies p and spends its token, returning it and the signed
// maximum length.
func (s *Service) spend(ctx context.Context, p SignedPut) (*store.OneTimeToken, int64, error) {
	if _, err := uuid.Parse(p.ObjectID); err != nil {
		return nil, 0, errBadSignature
	}
	exp, err := strconv.ParseInt(p.Expires, 10, 64)
	if err != nil {
		return nil, 0, errBadSignature
	}
	tok, err := s.st.OneTimeTokens().ByHash(ctx, store.PurposeAvatarUpload, objectHash(p.ObjectID))
	if err != nil {
		return nil, 0, errBadSignature
	}
	signedType, lengthText, _ := strings.Cut(tok.Data, " ")
	max, err := strconv.ParseInt(lengthText, 10, 64)
	if err != nil {
		return nil, 0, errBadSignature
	}
	key, err := s.key.get(ctx)
	if err != nil {
		return nil, 0, err
	}
	want := signature(key, p.ObjectID, tok.UserID, p.ContentType, max, exp)
	now := s.cfg.Now()
	if !hmac.Equal([]byte(want), []byte(p.Signature)) || signedType != p.ContentType ||
		!now.Before(time.Unix(exp, 0)) || !now.Before(tok.ExpiresAt) {
		return nil, 0, errBadSignature
	}
	if err := s.st.OneTimeTokens().Use(ctx, tok.ID, now); err != nil {
		return nil, 0, errBadSignature
	}
	return tok, max, nil
}

// signature is the URL-safe HMAC-SHA256 of the signed facts, each
// separated by a NUL so no two sets of facts sign the same bytes.
func signature(key []byte, objectID, userID, contentType string, maxLength, expires int64) string {
	m := hmac.New(sha256.New, key)
	for _, part := range []string{"usermgmt/avatar-upload v1", objectID, userID, contentType,
		strconv.FormatInt(maxLength, 10), strconv.FormatInt(expires, 10)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// objectHash is how an object id is kept at rest: a leaked table does not
// give usable URLs (the signature is needed too, but defence in depth).
func objectHash(objectID string) []byte {
	h := sha256.Sum256([]byte(objectID))
	return h[:]
}
