package mfa

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/secretsd/store"
)

// TOTP parameters: the ones every authenticator app supports (RFC 6238 with
// HMAC-SHA1, 6 digits, 30-second steps). The seed is 20 bytes, the SHA-1
// block's recommended key length (RFC 4226 §4 R6).
const (
	totpPeriod     = 30
	totpDigits     = otp.DigitsSix
	totpSecretSize = 20
)

var b32NoPadding = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpAAD binds a sealed seed to its device row.
func totpAAD(deviceID string) []byte { return []byte("totp:" + deviceID) }

// EnrollTOTP adds an unconfirmed TOTP device.
func (s *Service) EnrollTOTP(ctx context.Context, u User, name string) (TOTPEnrollment, error) {
	if err := checkUser(u); err != nil {
		return TOTPEnrollment{}, err
	}
	name, err := s.newDeviceName(ctx, u.ID, store.DeviceTOTP, name)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	account := u.Username
	if account == "" {
		account = u.ID
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      s.cfg.Issuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
		Rand:        rand.Reader,
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("mfa: generating a TOTP key: %w", err)
	}
	seed, err := b32NoPadding.DecodeString(key.Secret())
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("mfa: decoding the generated TOTP secret: %w", err)
	}
	png, err := qrPNG(key)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	d := store.Device{
		ID:        newID(),
		UserID:    u.ID,
		Kind:      store.DeviceTOTP,
		Name:      name,
		CreatedAt: s.now(),
	}
	if d.Secret, err = s.sealer.Seal(ctx, seed, totpAAD(d.ID)); err != nil {
		return TOTPEnrollment{}, fmt.Errorf("mfa: sealing a TOTP seed: %w", err)
	}
	if err := s.createDevice(ctx, d); err != nil {
		return TOTPEnrollment{}, err
	}
	s.log.Info().Str("user_id", u.ID).Str("device_id", d.ID).Msg("TOTP device enrolled, awaiting confirmation")
	return TOTPEnrollment{Device: toDevice(d), URI: key.String(), Secret: key.Secret(), QRPNG: png}, nil
}

// ConfirmTOTP confirms a device with a first valid code. The code's step is
// recorded, so the same code cannot then be used to log in.
func (s *Service) ConfirmTOTP(ctx context.Context, u User, deviceID, code string) (Device, error) {
	if err := checkUser(u); err != nil {
		return Device{}, err
	}
	d, err := s.store.GetDevice(ctx, u.ID, deviceID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (d.Kind != store.DeviceTOTP || d.Confirmed)) {
		return Device{}, fmt.Errorf("mfa: no unconfirmed TOTP device %q: %w", deviceID, ErrNoFactor)
	}
	if err != nil {
		return Device{}, fmt.Errorf("mfa: confirming TOTP device: %w", err)
	}
	now := s.now()
	ok, err := s.checkTOTPDevice(ctx, d, code, now)
	if err != nil {
		return Device{}, err
	}
	if !ok {
		return Device{}, fmt.Errorf("mfa: confirming TOTP device: %w", ErrInvalidCode)
	}
	if err := s.store.ConfirmDevice(ctx, u.ID, d.ID, now); err != nil {
		return Device{}, fmt.Errorf("mfa: confirming TOTP device: %w", err)
	}
	d.Confirmed, d.LastUsedAt = true, now
	s.log.Info().Str("user_id", u.ID).Str("device_id", d.ID).Msg("TOTP device confirmed")
	return toDevice(d), nil
}

// verifyTOTP accepts a code of any of the user's confirmed TOTP devices.
func (s *Service) verifyTOTP(ctx context.Context, u User, code string) ([]string, error) {
	devices, err := s.store.ListDevices(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("mfa: listing TOTP devices: %w", err)
	}
	now := s.now()
	found := false
	for _, d := range devices {
		if d.Kind != store.DeviceTOTP || !d.Confirmed {
			continue
		}
		found = true
		ok, err := s.checkTOTPDevice(ctx, d, code, now)
		if err != nil {
			return nil, err
		}
		if ok {
			return amrTOTP(), nil
		}
	}
	if !found {
		return nil, fmt.Errorf("mfa: user has no confirmed TOTP device: %w", ErrNoFactor)
	}
	return nil, fmt.Errorf("mfa: TOTP: %w", ErrInvalidCode)
}

// checkTOTPDevice reports whether code is the device's for a step within
// the skew of now that is later than any step used before, and records that
// step (RFC 6238 §5.2: a code is accepted once). The record is one
// conditional update in the store, so two secretsd nodes given the same code
// at once accept it once.
func (s *Service) checkTOTPDevice(ctx context.Context, d store.Device, code string, now time.Time) (bool, error) {
	code, ok := normalizeTOTPCode(code)
	if !ok {
		return false, nil
	}
	seed, err := s.sealer.Open(ctx, d.Secret, totpAAD(d.ID))
	if err != nil {
		return false, fmt.Errorf("mfa: opening the seed of TOTP device %s: %w", d.ID, err)
	}
	step, ok := matchTOTP(seed, code, now, s.cfg.Skew, totpDigits)
	clear(seed)
	if !ok {
		return false, nil
	}
	advanced, err := s.store.AdvanceTOTPStep(ctx, d.ID, step, now)
	if err != nil {
		return false, fmt.Errorf("mfa: recording the TOTP step of device %s: %w", d.ID, err)
	}
	if !advanced {
		s.log.Warn().Str("user_id", d.UserID).Str("device_id", d.ID).Msg("TOTP code replayed (its step or a later one was used before)")
	}
	return advanced, nil
}

// normalizeTOTPCode drops the spaces some apps show in the middle of a code
// ("123 456") and accepts exactly the digits of a code, nothing else.
func normalizeTOTPCode(in string) (string, bool) {
	if len(in) > 32 {
		return "", false
	}
	out := make([]byte, 0, totpDigits.Length())
	for i := 0; i < len(in); i++ {
		switch c := in[i]; {
		case c == ' ' || c == '\t':
		case c >= '0' && c <= '9':
			out = append(out, c)
		default:
			return "", false
		}
	}
	if len(out) != totpDigits.Length() {
		return "", false
	}
	return string(out), true
}

// matchTOTP returns the time step within ±skew of now whose code is code.
// Every candidate is computed and compared in constant time, so the time
// taken does not tell which step (if any) matched.
func matchTOTP(seed []byte, code string, now time.Time, skew uint, digits otp.Digits) (int64, bool) {
	secret := b32NoPadding.EncodeToString(seed)
	current := now.Unix() / totpPeriod
	var (
		matched int64
		found   int
	)
	for i := -int64(skew); i <= int64(skew); i++ {
		step := current + i
		if step < 0 {
			continue
		}
		want, err := codeAt(secret, uint64(step), digits)
		if err != nil {
			continue
		}
		eq := subtle.ConstantTimeCompare([]byte(want), []byte(code))
		// Keep the earliest matching step without branching on the secret.
		take := eq & (1 - found)
		matched = int64(subtle.ConstantTimeSelect(take, int(step), int(matched)))
		found |= eq
	}
	return matched, found == 1
}

// codeAt is the HOTP value (RFC 4226) of the base32 secret at counter step,
// which for TOTP is floor(unix time / 30) (RFC 6238 §4.2).
func codeAt(secret string, step uint64, digits otp.Digits) (string, error) {
	return hotp.GenerateCodeCustom(secret, step, hotp.ValidateOpts{Digits: digits, Algorithm: otp.AlgorithmSHA1})
}
