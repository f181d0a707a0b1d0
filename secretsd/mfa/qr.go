package mfa

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"github.com/pquerna/otp"
)

// qrSize is the QR code's width and height in pixels: large enough for a
// phone camera at arm's length from a laptop screen.
const qrSize = 256

// qrPNG renders the key's otpauth:// URI as a QR code PNG (pquerna/otp
// encodes it with medium error correction through boombuler/barcode).
func qrPNG(key *otp.Key) ([]byte, error) {
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("mfa: rendering the TOTP QR code: %w", err)
	}
	// A two-colour palette makes a 1-bit PNG: a few hundred bytes, quick
	// to compress.
	bw := image.NewPaletted(img.Bounds(), color.Palette{color.White, color.Black})
	draw.Draw(bw, bw.Rect, img, img.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, bw); err != nil {
		return nil, fmt.Errorf("mfa: encoding the TOTP QR code as PNG: %w", err)
	}
	return buf.Bytes(), nil
}
