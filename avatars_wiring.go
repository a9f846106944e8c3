package usermgmt

import (
	"strings"

	"gocloud.dev/blob/memblob"

	"github.com/usermgmt/usermgmt/avatars"
)

// buildAvatars makes the avatar service on WithAvatarStorage's bucket (a
// memory bucket by default). Files are served by the API's GET /avatars
// route unless the host gave a PublicURL.
func (m *Manager) buildAvatars() (*avatars.Service, error) {
	c := &m.cfg
	bucket := c.avatarBucket
	if bucket == nil {
		bucket = memblob.OpenBucket(nil)
	}
	api := strings.TrimSuffix(c.baseURL.String(), "/") + c.mountPath
	fileURL := c.avatarOptions.PublicURL
	if fileURL == "" {
		fileURL = api + "/avatars"
	}
	return avatars.New(avatars.Config{
		Store: m.store, Audit: m.audit, RBAC: m.rbac, Bucket: bucket, FileURL: fileURL,
		UploadURL: api + "/upload/avatar", Sizes: c.avatarOptions.Sizes, SigningKey: c.avatarSigningKey(),
		Now: c.now, Logger: c.logger,
	})
}

// avatarSigningKey derives the key of signed upload URLs from the host's
// encryption key or HS256 secret; nil lets the service keep a random one
// in the store.
func (c *config) avatarSigningKey() []byte {
	switch {
	case len(c.encKeys) > 0:
		return avatars.DeriveKey(c.encKeys[0])
	case len(c.tokens.Secret) > 0:
		return avatars.DeriveKey(c.tokens.Secret)
	}
	return nil
}

// Avatars returns the avatar service: uploads checked by content,
// re-encoded renditions, signed direct uploads, and the files for
// serving.
func (m *Manager) Avatars() *avatars.Service { return m.avatars }
