package twofa

import (
	"encoding/base32"
	"encoding/base64"
	"fmt"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"
)

// TOTP parameters: what every authenticator app understands (RFC 6238
// defaults, as Google Authenticator uses them).
const (
	// TOTPPeriod is the length of a time step in seconds.
	TOTPPeriod = 30
	// TOTPSecretSize is the secret's size in bytes: 160 bits, the HMAC-SHA1
	// output size that RFC 4226 recommends.
	TOTPSecretSize = 20
	// totpSkew is how many steps of clock drift are accepted either way.
	totpSkew = 1
	// qrSize is the QR code's width and height in pixels.
	qrSize = 256
)

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpStep is the RFC 6238 time step of a Unix time.
func totpStep(unix int64) int64 {
	if unix < 0 {
		return -1
	}
	return unix / TOTPPeriod
}

// totpCode is the code of secret for a time step (HOTP with the step as
// counter), with the given number of digits.
func totpCode(secret []byte, step int64, digits int) (string, error) {
	return hotp.GenerateCodeCustom(base32NoPad.EncodeToString(secret), uint64(step), hotp.ValidateOpts{
		Digits: otp.Digits(digits), Algorithm: otp.AlgorithmSHA1,
	})
}

// totpKey builds the otpauth:// URL authenticator apps import, and the
// same URL as a PNG QR code in a data: URL.
func totpKey(issuer, account string, secret []byte) (otpauthURL, qrDataURL string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: TOTPPeriod, Secret: secret,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("twofa: totp key: %w", err)
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, qrSize)
	if err != nil {
		return "", "", fmt.Errorf("twofa: qr code: %w", err)
	}
	return key.URL(), "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
