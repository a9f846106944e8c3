package avatars

import (
	"encoding/binary"
	"image"
)

// jpegOrientation reads the EXIF Orientation tag (1 to 8) of a JPEG, or 1
// when there is none or it does not parse. Re-encoding drops EXIF, so the
// rotation a camera recorded there must be applied to the pixels first or
// a phone photo would come out on its side.
func jpegOrientation(data []byte) int {
	for i := 2; i+4 <= len(data) && data[i] == 0xFF; {
		marker := data[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			break
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			break
		}
		if seg := data[i+4 : i+2+n]; marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation finds tag 0x0112 in IFD0 of a TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for e := ifd + 2; count > 0 && e+12 <= len(t); e, count = e+12, count-1 {
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient returns the square img as displayed under an EXIF orientation.
// A centred square crop commutes with every one of these turns and
// flips, so it is applied to the small rendition, not the large source.
func orient(img *image.RGBA, orientation int) *image.RGBA {
	if orientation <= 1 || orientation > 8 {
		return img
	}
	n := img.Bounds().Dx()
	out := image.NewRGBA(img.Bounds())
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			sx, sy := source(orientation, x, y, n-1)
			copy(out.Pix[out.PixOffset(x, y):][:4], img.Pix[img.PixOffset(sx, sy):][:4])
		}
	}
	return out
}

// source is the stored pixel shown at (x, y) under an orientation; m is
// the last index of the square.
func source(orientation, x, y, m int) (int, int) {
	switch orientation {
	case 2: // mirrored
		return m - x, y
	case 3: // upside down
		return m - x, m - y
	case 4: // mirrored upside down
		return x, m - y
	case 5: // transposed
		return y, x
	case 6: // turned 90° clockwise to display
		return y, m - x
	case 7: // transverse
		return m - y, m - x
	default: // 8: turned 90° counter-clockwise to display
		return m - y, x
	}
}
