package mfa

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portcullis/portcullis/secretsd/store"
)

// maxNameLen is the longest device name, in characters.
const maxNameLen = 64

// defaultNames name a device whose owner gave it no name.
var defaultNames = map[string]string{
	store.DeviceTOTP:     "Authenticator app",
	store.DeviceWebAuthn: "Security key",
}

// toDevice is the owner's view of a stored device: never its secret.
func toDevice(d store.Device) Device {
	return Device{
		ID:         d.ID,
		Kind:       d.Kind,
		Name:       d.Name,
		Confirmed:  d.Confirmed,
		CreatedAt:  d.CreatedAt,
		LastUsedAt: d.LastUsedAt,
	}
}

// Devices lists the user's devices, oldest first.
func (s *Service) Devices(ctx context.Context, userID string) ([]Device, error) {
	stored, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("mfa: listing devices: %w", err)
	}
	out := make([]Device, 0, len(stored))
	for _, d := range stored {
		out = append(out, toDevice(d))
	}
	return out, nil
}

// Methods lists the methods the user can complete a challenge with now
// (confirmed devices, unused backup codes), in a stable order: totp,
// webauthn, backup_code.
func (s *Service) Methods(ctx context.Context, userID string) ([]string, error) {
	devices, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("mfa: listing devices: %w", err)
	}
	var totp, wa bool
	for _, d := range devices {
		if d.Confirmed {
			totp = totp || d.Kind == store.DeviceTOTP
			wa = wa || d.Kind == store.DeviceWebAuthn
		}
	}
	codes, err := s.store.CountBackupCodes(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("mfa: counting backup codes: %w", err)
	}
	methods := []string{}
	if totp {
		methods = append(methods, MethodTOTP)
	}
	if wa {
		methods = append(methods, MethodWebAuthn)
	}
	if codes > 0 {
		methods = append(methods, MethodBackupCode)
	}
	return methods, nil
}

// HasFactor reports whether the user has any confirmed device or unused backup code.
func (s *Service) HasFactor(ctx context.Context, userID string) (bool, error) {
	methods, err := s.Methods(ctx, userID)
	return len(methods) > 0, err
}

// RemoveDevice removes a device; ErrLastFactor when u.RequiresMFA and it is
// the last confirmed device.
//
// Backup codes do not count as a factor for this rule: they are a recovery
// path for a lost device, ten uses at most, and a user left with only them
// would have no way to enrol anew except spending them. An unconfirmed TOTP
// device never counts and can always be removed.
//
// The store has no transaction spanning "count, then delete", so two
// concurrent removals of a user's last two devices could each see the other
// still there. The check is therefore made again after the delete, and a
// removal that left no confirmed device is undone (the row is written back
// as it was, sealed secret, counters and all) and refused.
func (s *Service) RemoveDevice(ctx context.Context, u User, deviceID string) error {
	if err := checkUser(u); err != nil {
		return err
	}
	d, err := s.store.GetDevice(ctx, u.ID, deviceID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mfa: removing device %q: %w: %w", deviceID, ErrNoFactor, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mfa: removing device %q: %w", deviceID, err)
	}
	guarded := u.RequiresMFA && d.Confirmed
	if guarded {
		n, err := s.confirmedDevices(ctx, u.ID)
		if err != nil {
			return err
		}
		if n <= 1 {
			return fmt.Errorf("mfa: removing device %q: %w", deviceID, ErrLastFactor)
		}
	}
	if err := s.store.DeleteDevice(ctx, u.ID, deviceID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("mfa: removing device %q: %w: %w", deviceID, ErrNoFactor, store.ErrNotFound)
		}
		return fmt.Errorf("mfa: removing device %q: %w", deviceID, err)
	}
	if guarded {
		n, err := s.confirmedDevices(ctx, u.ID)
		if err == nil && n == 0 {
			err = s.store.CreateDevice(ctx, d)
			if err == nil {
				return fmt.Errorf("mfa: removing device %q: %w", deviceID, ErrLastFactor)
			}
		}
		if err != nil {
			s.log.Error().Err(err).Str("user_id", u.ID).Str("device_id", deviceID).
				Msg("checking or restoring the last second factor after a concurrent removal")
		}
	}
	s.log.Info().Str("user_id", u.ID).Str("device_id", deviceID).Str("kind", d.Kind).Msg("second-factor device removed")
	return nil
}

func (s *Service) confirmedDevices(ctx context.Context, userID string) (int, error) {
	devices, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("mfa: listing devices: %w", err)
	}
	n := 0
	for _, d := range devices {
		if d.Confirmed {
			n++
		}
	}
	return n, nil
}

// Reset removes every factor and backup code of the user (admin action).
func (s *Service) Reset(ctx context.Context, userID string) error {
	n, err := s.store.DeleteDevices(ctx, userID)
	if err != nil {
		return fmt.Errorf("mfa: resetting devices: %w", err)
	}
	if err := s.store.DeleteBackupCodes(ctx, userID); err != nil {
		return fmt.Errorf("mfa: resetting backup codes: %w", err)
	}
	s.log.Info().Str("user_id", userID).Int("devices", n).Msg("second factors reset")
	return nil
}

// createDevice stores d, turning a unique-key conflict into ErrNameTaken.
func (s *Service) createDevice(ctx context.Context, d store.Device) error {
	err := s.store.CreateDevice(ctx, d)
	if errors.Is(err, store.ErrConflict) {
		// For WebAuthn it may also be the credential id, which is unique
		// across users: that authenticator is registered already.
		return fmt.Errorf("mfa: device %q: %w", d.Name, ErrNameTaken)
	}
	if err != nil {
		return fmt.Errorf("mfa: storing device: %w", err)
	}
	return nil
}

// newDeviceName checks the name a user gave a new device of this kind, or
// picks a free default one when it is empty. An unconfirmed TOTP device of
// the same name is an abandoned enrolment: enrolling again replaces it.
func (s *Service) newDeviceName(ctx context.Context, userID, kind, name string) (string, error) {
	name, err := cleanName(name)
	if err != nil {
		return "", err
	}
	devices, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("mfa: listing devices: %w", err)
	}
	byName := make(map[string]store.Device, len(devices))
	for _, d := range devices {
		byName[d.Name] = d
	}
	if name == "" {
		base := defaultNames[kind]
		name = base
		for i := 2; ; i++ {
			if _, taken := byName[name]; !taken {
				return name, nil
			}
			name = base + " " + strconv.Itoa(i)
		}
	}
	d, taken := byName[name]
	if !taken {
		return name, nil
	}
	if kind == store.DeviceTOTP && d.Kind == store.DeviceTOTP && !d.Confirmed {
		if err := s.store.DeleteDevice(ctx, userID, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("mfa: replacing unconfirmed device %q: %w", name, err)
		}
		return name, nil
	}
	return "", fmt.Errorf("mfa: device %q: %w", name, ErrNameTaken)
}

// cleanName trims a device name and refuses one that is too long or holds
// control characters (it is shown in lists and terminals).
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameLen {
		return "", ErrInvalidName
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", ErrInvalidName
		}
	}
	return name, nil
}
