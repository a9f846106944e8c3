package avatars

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/usermgmt/usermgmt/audit"
	"github.com/usermgmt/usermgmt/events"
	"github.com/usermgmt/usermgmt/rbac"
	"github.com/usermgmt/usermgmt/store"
)

// Defaults of Config.
const (
	// DefaultMaxBytes is the largest upload accepted: 5 MiB.
	DefaultMaxBytes = 5 << 20
	// DefaultMaxDimension is the largest width or height accepted. A
	// 4096×4096 image decodes to at most 64 MiB (4 bytes a pixel).
	DefaultMaxDimension = 4096
	// DefaultSignedTTL is how long a signed upload URL lives.
	DefaultSignedTTL = 15 * time.Minute
)

// DefaultSizes are the square renditions made of every avatar, in pixels:
// 512 for profile pages (the one avatarUrl names) and 128 for lists.
var DefaultSizes = []int{512, 128}

// Config is what the service needs. Store, Audit, RBAC, Bucket, FileURL
// and UploadURL are required; the other fields have defaults.
type Config struct {
	Store store.Store
	Audit *audit.Log
	// RBAC lets holders of USER_UPDATE change another user's avatar.
	RBAC *rbac.Service
	// Bucket holds the image files.
	Bucket *blob.Bucket
	// FileURL is where the files are served: the API's GET /avatars
	// route below the mount path, or the bucket's public URL. An avatar's
	// URL is FileURL + "/" + its object name.
	FileURL string
	// UploadURL is the API's PUT /upload/avatar route, which signed URLs
	// point to (objectId and signature are appended).
	UploadURL string
	// Sizes are the square renditions made, largest first; avatarUrl
	// names the first. Default: DefaultSizes.
	Sizes []int
	// MaxBytes caps an upload. Default: DefaultMaxBytes.
	MaxBytes int64
	// MaxDimension caps width and height. Default: DefaultMaxDimension.
	MaxDimension int
	// Decoders is how many images may be decoded at once; it bounds the
	// memory of parallel uploads. Default: runtime.GOMAXPROCS(0).
	Decoders int
	// SignedTTL is how long a signed upload URL lives. Default:
	// DefaultSignedTTL.
	SignedTTL time.Duration
	// SigningKey keys the upload signatures (32 bytes or more). Default:
	// a random key created once and kept in the store for every instance.
	SigningKey []byte
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Random is the source of object names and keys. Default:
	// crypto/rand.Reader.
	Random io.Reader
	// Logger receives failures to delete replaced objects. Default:
	// discard.
	Logger *slog.Logger
}

// Service uploads, serves and deletes avatars.
type Service struct {
	cfg    Config
	st     store.Store
	events *events.Recorder
	decode chan struct{} // semaphore of Config.Decoders
	key    signingKey
}

// New returns a Service. It fails when a required dependency is missing
// or a setting makes no sense.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil || cfg.RBAC == nil || cfg.Bucket == nil {
		return nil, errors.New("avatars: Store, Audit, RBAC and Bucket are required")
	}
	if cfg.FileURL == "" || cfg.UploadURL == "" {
		return nil, errors.New("avatars: FileURL and UploadURL are required")
	}
	cfg.FileURL = strings.TrimSuffix(cfg.FileURL, "/")
	cfg.UploadURL = strings.TrimSuffix(cfg.UploadURL, "/")
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: cfg.Store, events: events.NewRecorder(cfg.Now),
		decode: make(chan struct{}, cfg.Decoders)}
	s.key = signingKey{st: cfg.Store, random: cfg.Random, now: cfg.Now, configured: cfg.SigningKey}
	return s, nil
}

func (c *Config) defaults() error {
	if c.Sizes == nil {
		c.Sizes = DefaultSizes
	}
	if err := ValidSizes(c.Sizes); err != nil {
		return err
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxDimension == 0 {
		c.MaxDimension = DefaultMaxDimension
	}
	if c.Decoders == 0 {
		c.Decoders = runtime.GOMAXPROCS(0)
	}
	if c.SignedTTL == 0 {
		c.SignedTTL = DefaultSignedTTL
	}
	switch {
	case c.MaxBytes < 0 || c.MaxDimension < 0 || c.Decoders < 0 || c.SignedTTL < 0:
		return errors.New("avatars: MaxBytes, MaxDimension, Decoders and SignedTTL must be positive")
	case c.SigningKey != nil && len(c.SigningKey) < minKeySize:
		return errors.New("avatars: SigningKey must be at least 32 bytes")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Random == nil {
		c.Random = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// ValidSizes reports whether sizes can be Config.Sizes: at least one,
// each from 16 to 2048 pixels, largest first, none twice.
func ValidSizes(sizes []int) error {
	if len(sizes) == 0 {
		return errors.New("avatars: at least one size is needed")
	}
	for i, n := range sizes {
		if n < 16 || n > 2048 || (i > 0 && n >= sizes[i-1]) {
			return errors.New("avatars: sizes must run from largest to smallest, each from 16 to 2048 pixels")
		}
	}
	return nil
}

// MaxBytes is the largest upload accepted, for a transport that caps
// request bodies before the service sees them.
func (s *Service) MaxBytes() int64 { return s.cfg.MaxBytes }
