package avatars

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
)

// jpegQuality is the quality of opaque renditions: small files with no
// visible loss at avatar sizes.
const jpegQuality = 85

// rendition is one encoded square of the avatar.
type rendition struct {
	size        int
	contentType string
	ext         string
	data        []byte
}

// render crops src to its centred square, turns it as its EXIF
// orientation says (1 for none), and encodes it at each size (exactly
// that size, so clients can rely on it; small images are scaled up).
// Each smaller size is scaled from the one before it rather than from the
// source: the kernel's cost grows with the source's width, and a 512 px
// square holds all a 128 px one needs. Encoding from decoded
// pixels is what strips every piece of metadata: nothing of the upload
// but its pixels reaches the output. Opaque images become JPEG, the
// others PNG, so that transparency survives; WebP is not an output
// because golang.org/x/image has no WebP encoder.
func render(src image.Image, sizes []int, orientation int) ([]rendition, error) {
	from, rect := src, centreSquare(src.Bounds())
	out := make([]rendition, 0, len(sizes))
	for i, n := range sizes {
		// *image.RGBA is what x/image/draw's fast paths write to.
		dst := image.NewRGBA(image.Rect(0, 0, n, n))
		draw.CatmullRom.Scale(dst, dst.Bounds(), from, rect, draw.Src, nil)
		if i == 0 {
			dst = orient(dst, orientation) // the next sizes start from this one
		}
		r, err := encode(dst)
		if err != nil {
			return nil, err
		}
		r.size = n
		out = append(out, r)
		from, rect = dst, dst.Bounds()
	}
	return out, nil
}

// encode writes img as JPEG when every pixel is opaque, else as PNG.
func encode(img *image.RGBA) (rendition, error) {
	var buf bytes.Buffer
	if img.Opaque() {
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
			return rendition{}, err
		}
		return rendition{contentType: "image/jpeg", ext: "jpg", data: buf.Bytes()}, nil
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return rendition{}, err
	}
	return rendition{contentType: "image/png", ext: "png", data: buf.Bytes()}, nil
}

// centreSquare is the largest square centred in r.
func centreSquare(r image.Rectangle) image.Rectangle {
	side := min(r.Dx(), r.Dy())
	x := r.Min.X + (r.Dx()-side)/2
	y := r.Min.Y + (r.Dy()-side)/2
	return image.Rect(x, y, x+side, y+side)
}
