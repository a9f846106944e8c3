package avatars

import (
	"context"
	"errors"
	"io"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/usermgmt/usermgmt/store"
)

// File is an avatar file opened for serving. The caller closes it.
type File struct {
	io.ReadCloser
	ContentType  string
	Size         int64
	ModTime      time.Time
	CacheControl string
	// ETag is a strong entity tag: a name is never reused for other
	// bytes, so the name itself identifies the content.
	ETag string
}

// Open opens the avatar file name for serving. It needs no actor: avatar
// files are public, as their names are unguessable. A name that
// objectName could not have made (a path, "..", an encoded slash) is
// ErrNotFound before the bucket is asked, as is a missing file.
func (s *Service) Open(ctx context.Context, name string) (*File, error) {
	if !validName.MatchString(name) {
		return nil, store.ErrNotFound.WithMessage("no such avatar")
	}
	r, err := s.cfg.Bucket.NewReader(ctx, name, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, store.ErrNotFound.WithMessage("no such avatar")
	}
	if err != nil {
		return nil, err
	}
	ct := r.ContentType()
	if ct != "image/png" && ct != "image/jpeg" {
		// Only this package writes the bucket's avatar names; anything
		// else there is not served as an image of ours.
		_ = r.Close()
		return nil, store.ErrNotFound.WithMessage("no such avatar")
	}
	return &File{ReadCloser: r, ContentType: ct, Size: r.Size(), ModTime: r.ModTime(),
		CacheControl: cacheControl, ETag: `"` + name + `"`}, nil
}

// EraseUserFiles deletes every file of the user, those of avatarIDs and
// any left behind by an interrupted upload, and succeeds when there are
// none. It implements gdpr.FileEraser, for account erasure.
func (s *Service) EraseUserFiles(ctx context.Context, userID string, avatarIDs []string) error {
	if userID == "" {
		return errors.New("avatars: erase files: empty user id")
	}
	return s.deletePrefix(ctx, userID+"_")
}

// removeNames deletes objects written for an upload that failed. It runs
// even when ctx was cancelled, as a cancelled request is one way to fail.
func (s *Service) removeNames(ctx context.Context, names []string) {
	ctx = context.WithoutCancel(ctx)
	for _, n := range names {
		if err := s.cfg.Bucket.Delete(ctx, n); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			s.cfg.Logger.ErrorContext(ctx, "delete avatar file failed", "object", n, "err", err)
		}
	}
}

// removePrefix deletes a replaced avatar's files after the commit that
// replaced them; a failure is logged (the files are unreachable anyway,
// and erasure deletes them by the user's prefix).
func (s *Service) removePrefix(ctx context.Context, prefix string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.deletePrefix(ctx, prefix); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "delete replaced avatar files failed", "prefix", prefix, "err", err)
	}
}

func (s *Service) deletePrefix(ctx context.Context, prefix string) error {
	// Listed first, deleted after: deleting while paging a listing may
	// skip objects on some backends.
	var keys []string
	it := s.cfg.Bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		keys = append(keys, obj.Key)
	}
	var errs []error
	for _, k := range keys {
		if err := s.cfg.Bucket.Delete(ctx, k); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
