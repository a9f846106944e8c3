package testkit

import (
	"bytes"
	_ "embed" // the WebP sample
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// WebP is a real 96×64 lossy WebP, made with cwebp 1.2.4 (Debian's webp
// package: `cwebp -q 80 -metadata none`) from a gradient PNG, since
// golang.org/x/image can decode WebP but not encode it.
//
//go:embed testdata/avatar.webp
var WebP []byte

// EXIFMarker is a text the EXIF and comment segments of JPEGWithEXIF
// carry, to show that none of it survives re-encoding.
const EXIFMarker = "usermgmt-secret-place"

// gradient is a w×h test picture; with alpha, its left half is
// translucent.
func gradient(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 100
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, a})
		}
	}
	return img
}

// PNG returns a w×h PNG, translucent on its left half when alpha is set.
func PNG(w, h int, alpha bool) []byte {
	var buf bytes.Buffer
	must(png.Encode(&buf, gradient(w, h, alpha)))
	return buf.Bytes()
}

// JPEG returns a w×h JPEG at quality q.
func JPEG(w, h, q int) []byte {
	var buf bytes.Buffer
	must(jpeg.Encode(&buf, gradient(w, h, false), &jpeg.Options{Quality: q}))
	return buf.Bytes()
}

// JPEGWithEXIF returns a w×h JPEG carrying an APP1 EXIF segment with a
// GPS IFD (latitude 48°51'24" N, and EXIFMarker as the GPS processing
// method) and a COM comment with EXIFMarker.
func JPEGWithEXIF(w, h int) []byte {
	plain := JPEG(w, h, 90)
	var out bytes.Buffer
	out.Write(plain[:2]) // SOI
	segment(&out, 0xE1, append([]byte("Exif\x00\x00"), gpsTIFF()...))
	segment(&out, 0xFE, []byte("taken at "+EXIFMarker))
	out.Write(plain[2:])
	return out.Bytes()
}

func segment(out *bytes.Buffer, marker byte, payload []byte) {
	out.Write([]byte{0xFF, marker})
	_ = binary.Write(out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
}

// gpsTIFF is a little-endian TIFF structure: IFD0 with one GPSInfo
// pointer, then a GPS IFD with GPSLatitudeRef, GPSLatitude and
// GPSProcessingMethod.
func gpsTIFF() []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	b.WriteString("II*\x00")
	_ = binary.Write(&b, le, uint32(8))
	entry := func(tag, typ uint16, count, value uint32) {
		_ = binary.Write(&b, le, tag)
		_ = binary.Write(&b, le, typ)
		_ = binary.Write(&b, le, count)
		_ = binary.Write(&b, le, value)
	}
	// IFD0 at 8: 2 + 12 + 4 = 18 bytes; GPS IFD at 26: 2 + 3*12 + 4 = 42
	// bytes; the latitude rationals at 68 (24 bytes), the method at 92.
	_ = binary.Write(&b, le, uint16(1))
	entry(0x8825, 4, 1, 26)
	_ = binary.Write(&b, le, uint32(0))
	method := "ASCII\x00\x00\x00" + EXIFMarker
	_ = binary.Write(&b, le, uint16(3))
	entry(0x0001, 2, 2, uint32('N'))
	entry(0x0002, 5, 3, 68)
	entry(0x001B, 7, uint32(len(method)), 92)
	_ = binary.Write(&b, le, uint32(0))
	for _, v := range []uint32{48, 1, 51, 1, 24, 1} {
		_ = binary.Write(&b, le, v)
	}
	b.WriteString(method)
	return b.Bytes()
}

// GIF returns a w×h still GIF.
func GIF(w, h int) []byte {
	var buf bytes.Buffer
	must(gif.Encode(&buf, gradient(w, h, false), nil))
	return buf.Bytes()
}

// AnimatedGIF returns a w×h GIF of frames frames, each a different
// colour.
func AnimatedGIF(w, h, frames int) []byte {
	g := &gif.GIF{}
	for i := 0; i < frames; i++ {
		p := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for j := range p.Pix {
			p.Pix[j] = uint8(i * 40)
		}
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 10)
	}
	var buf bytes.Buffer
	must(gif.EncodeAll(&buf, g))
	return buf.Bytes()
}

// HugePNGHeader returns a small file whose PNG header announces a w×h
// image: a decompression bomb's front door.
func HugePNGHeader(w, h int) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk(&buf, "IHDR", ihdr)
	chunk(&buf, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk(&buf, "IEND", nil)
	return buf.Bytes()
}

func chunk(buf *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(buf, binary.BigEndian, uint32(len(data)))
	buf.WriteString(typ)
	buf.Write(data)
	_ = binary.Write(buf, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

func must(err error) {
	if err != nil {
		panic("testkit: encode image: " + err.Error())
	}
}

// JPEGWithOrientation returns a size×size JPEG whose left half is red and
// right half blue, with an EXIF Orientation tag (1 to 8) saying how to
// turn it for display, as phone cameras write.
func JPEGWithOrientation(size, orientation int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := color.RGBA{R: 230, G: 20, B: 20, A: 255}
			if x >= size/2 {
				c = color.RGBA{R: 20, G: 20, B: 230, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var plain bytes.Buffer
	must(jpeg.Encode(&plain, img, &jpeg.Options{Quality: 90}))
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM\x00*")
	_ = binary.Write(&tiff, be, uint32(8))
	_ = binary.Write(&tiff, be, uint16(1))
	for _, v := range []any{uint16(0x0112), uint16(3), uint32(1), uint16(orientation), uint16(0), uint32(0)} {
		_ = binary.Write(&tiff, be, v)
	}
	var out bytes.Buffer
	out.Write(plain.Bytes()[:2])
	segment(&out, 0xE1, append([]byte("Exif\x00\x00"), tiff.Bytes()...))
	out.Write(plain.Bytes()[2:])
	return out.Bytes()
}
