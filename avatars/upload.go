package avatars

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// Audit actions of this package.
const (
	ActionUpload = "avatar.upload"
	ActionDelete = "avatar.delete"
)

// cacheControl is sent with every file: names are never reused, so a file
// never changes.
const cacheControl = "public, max-age=31536000, immutable"

// Upload makes the image read from r the user's avatar and returns its
// URL (the largest rendition). The actor is the user themself, the host's
// code (store.SystemActor) or someone holding USER_UPDATE. It refuses
// more than MaxBytes while reading (ErrPayloadTooLarge), anything but PNG,
// JPEG, GIF or WebP by content (ErrUnsupportedMediaType), and dimensions
// past MaxDimension (ErrImageTooLarge). The previous avatar's files are
// deleted once the new one is committed; a failure leaves no new file.
func (s *Service) Upload(ctx context.Context, userID string, r io.Reader) (string, error) {
	if err := s.allowed(ctx, userID, ActionUpload); err != nil {
		return "", err
	}
	return s.accept(ctx, userID, r, s.cfg.MaxBytes, nil)
}

// allowed lets the user themself and the host's code through, and others
// holding USER_UPDATE.
func (s *Service) allowed(ctx context.Context, userID, action string) error {
	a, ok := store.ActorFromContext(ctx)
	switch {
	case !ok || a.IsZero():
		return store.ErrUnauthenticated
	case a.System || a.UserID == userID:
		return nil
	}
	_, err := s.cfg.RBAC.Require(ctx, rbac.UserUpdate, action, userID)
	return err
}

// accept reads, checks, renders, stores and commits an upload of at most
// max bytes. check, when set, sees the locked user row and may refuse.
func (s *Service) accept(ctx context.Context, userID string, r io.Reader, max int64, check func(*store.User) error) (string, error) {
	data, err := readCapped(r, max)
	if err != nil {
		return "", err
	}
	f, _, err := s.inspect(data)
	if err != nil {
		return "", err
	}
	rs, err := s.process(ctx, f, data)
	if err != nil {
		return "", err
	}
	return s.commit(ctx, userID, f, rs, check)
}

// readCapped reads all of r, refusing more than max bytes as soon as the
// byte after the limit arrives.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	var se *store.Error
	switch {
	case errors.As(err, &se):
		return nil, se
	case err != nil:
		return nil, store.ErrValidation.WithMessage("the upload could not be read").Wrap(err)
	case int64(len(data)) > max:
		return nil, store.ErrPayloadTooLarge.WithMessage("the image is larger than the limit").With("maxBytes", max)
	case len(data) == 0:
		return nil, store.ErrUnsupportedMediaType.WithMessage("the upload is empty")
	}
	return data, nil
}

// process decodes data and renders it, holding one of the Decoders slots
// so that parallel uploads cannot decode more images at once than the
// memory bound allows.
func (s *Service) process(ctx context.Context, f *format, data []byte) ([]rendition, error) {
	select {
	case s.decode <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.decode }()
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, store.ErrUnsupportedMediaType.WithMessage("the file is not a valid image").Wrap(err)
	}
	orientation := 1
	if f.contentType == "image/jpeg" {
		orientation = jpegOrientation(data)
	}
	return render(img, s.cfg.Sizes, orientation)
}

// commit writes the renditions, then records the avatar, the user's
// avatarUrl, the audit row and the event in one transaction. Files
// written before a failure are deleted again; the replaced avatar's files
// are deleted after the commit.
func (s *Service) commit(ctx context.Context, userID string, f *format, rs []rendition, check func(*store.User) error) (string, error) {
	id, err := uuid.NewRandomFromReader(s.cfg.Random)
	if err != nil {
		return "", err
	}
	avatarID := id.String()
	names := make([]string, 0, len(rs))
	for _, r := range rs {
		name := objectName(userID, avatarID, r.size, r.ext)
		err := s.cfg.Bucket.WriteAll(ctx, name, r.data, &blob.WriterOptions{ContentType: r.contentType, CacheControl: cacheControl})
		if err != nil {
			s.removeNames(ctx, names)
			return "", err
		}
		names = append(names, name)
	}
	url := s.cfg.FileURL + "/" + names[0]
	var replaced string
	err = s.st.InTx(ctx, func(tx store.Repos) error {
		if _, err := tx.Users().Update(ctx, userID, func(u *store.User) error {
			if check != nil {
				if err := check(u); err != nil {
					return err
				}
			}
			u.AvatarURL = url
			return nil
		}); err != nil {
			return err
		}
		var err error
		replaced, err = tx.Avatars().Put(ctx, &store.Avatar{ID: avatarID, UserID: userID, ContentType: rs[0].contentType,
			Size: int64(len(rs[0].data)), Width: rs[0].size, Height: rs[0].size, CreatedAt: s.cfg.Now()})
		if err != nil {
			return err
		}
		return s.record(ctx, tx, ActionUpload, userID, map[string]string{"source": f.contentType})
	})
	if err != nil {
		s.removeNames(ctx, names)
		return "", err
	}
	if replaced != "" {
		s.removePrefix(ctx, avatarPrefix(userID, replaced))
	}
	return url, nil
}

// record writes the audit row and the UserUpdated event of a change of
// the user's avatar.
func (s *Service) record(ctx context.Context, tx store.Repos, action, userID string, meta map[string]string) error {
	if err := s.cfg.Audit.Record(ctx, tx, audit.Entry{Action: action, TargetID: userID, Metadata: meta}); err != nil {
		return err
	}
	return s.events.Append(ctx, tx, store.EventUserUpdated, userID, map[string]any{"fields": []string{"avatarUrl"}})
}

// Delete clears the user's avatar and deletes its files. The actor is as
// for Upload. Deleting when there is no avatar succeeds and records
// nothing.
func (s *Service) Delete(ctx context.Context, userID string) error {
	if err := s.allowed(ctx, userID, ActionDelete); err != nil {
		return err
	}
	var current *store.Avatar
	err := s.st.InTx(ctx, func(tx store.Repos) error {
		if _, err := tx.Users().Update(ctx, userID, func(u *store.User) error {
			u.AvatarURL = ""
			return nil
		}); err != nil {
			return err
		}
		a, err := tx.Avatars().ByUser(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		current = a
		if err := tx.Avatars().Delete(ctx, userID); err != nil {
			return err
		}
		return s.record(ctx, tx, ActionDelete, userID, nil)
	})
	if err != nil || current == nil {
		return err
	}
	s.removePrefix(ctx, avatarPrefix(userID, current.ID))
	return nil
}
