package avatars

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/webp"

	"github.com/usermgmt/usermgmt/store"
)

// format is one accepted image type, recognised by its leading bytes.
type format struct {
	contentType  string
	match        func(head []byte) bool
	decodeConfig func(io.Reader) (image.Config, error)
	// decode reads the first frame only: an animated GIF becomes still.
	decode func(io.Reader) (image.Image, error)
}

// formats are the accepted types. The decoders are called directly, not
// through image.Decode's registry, so that no other registered format
// (a host may import more) is ever accepted.
var formats = []format{
	{"image/png", prefix("\x89PNG\r\n\x1a\n"), png.DecodeConfig, png.Decode},
	{"image/jpeg", prefix("\xff\xd8\xff"), jpeg.DecodeConfig, jpeg.Decode},
	{"image/gif", func(h []byte) bool { return prefix("GIF87a")(h) || prefix("GIF89a")(h) }, gif.DecodeConfig, gif.Decode},
	{"image/webp", func(h []byte) bool { return len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP" },
		webp.DecodeConfig, webp.Decode},
}

func prefix(p string) func([]byte) bool {
	return func(h []byte) bool { return bytes.HasPrefix(h, []byte(p)) }
}

// AcceptedType reports whether contentType (without parameters) names an
// accepted image type, as signing a direct upload requires.
func AcceptedType(contentType string) bool {
	for _, f := range formats {
		if f.contentType == contentType {
			return true
		}
	}
	return false
}

// sniff returns the format data is in, judged by its content only, or
// ErrUnsupportedMediaType.
func sniff(data []byte) (*format, error) {
	for i := range formats {
		if formats[i].match(data) {
			return &formats[i], nil
		}
	}
	return nil, store.ErrUnsupportedMediaType.WithMessage("the file is not a PNG, JPEG, GIF or WebP image")
}

// inspect checks data's type and its dimensions from the header alone,
// before anything is decoded: a 20000×20000 image in a small file is
// refused here, without allocating its pixels.
func (s *Service) inspect(data []byte) (*format, image.Config, error) {
	f, err := sniff(data)
	if err != nil {
		return nil, image.Config{}, err
	}
	cfg, err := f.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, cfg, store.ErrUnsupportedMediaType.WithMessage("the file is not a valid image").Wrap(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, cfg, store.ErrUnsupportedMediaType.WithMessage("the image is empty")
	}
	if cfg.Width > s.cfg.MaxDimension || cfg.Height > s.cfg.MaxDimension {
		return nil, cfg, store.ErrImageTooLarge.WithMessage(dimensionMessage(s.cfg.MaxDimension))
	}
	return f, cfg, nil
}

func dimensionMessage(max int) string {
	return "the image must be at most " + strconv.Itoa(max) + "×" + strconv.Itoa(max) + " pixels"
}
