// Package mfa holds the second factors of secretsd's users: TOTP (RFC 6238),
// WebAuthn/FIDO2 (go-webauthn), single-use backup codes, and the limit on
// failed attempts. Devices are stored through package store with their
// secrets sealed by package kek. It knows nothing of HTTP; identity drives it.
package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Errors for errors.Is.
var (
	// ErrInvalidCode: wrong, expired or replayed code or assertion. Callers
	// must not tell which.
	ErrInvalidCode = errors.New("invalid second factor")
	// ErrTooManyAttempts: the user failed too often; see TooManyAttempts.RetryAfter.
	ErrTooManyAttempts = errors.New("too many failed second-factor attempts")
	// ErrNoFactor: the user has no confirmed factor of that kind.
	ErrNoFactor = errors.New("no such second factor")
	// ErrLastFactor: removing it would leave a user who needs MFA without any.
	ErrLastFactor = errors.New("the last second factor of a user who requires MFA cannot be removed")
	// ErrUnavailable: the attempt counter's store is down; fail closed.
	ErrUnavailable = errors.New("second-factor state unavailable")
)

// TooManyAttempts is returned (wrapping ErrTooManyAttempts) with when to retry.
type TooManyAttempts struct{ RetryAfter time.Duration }

func (e *TooManyAttempts) Error() string { return ErrTooManyAttempts.Error() }
func (e *TooManyAttempts) Unwrap() error { return ErrTooManyAttempts }

// Methods a user can complete a challenge with; also the amr values (RFC 8176)
// written into tokens: "otp" for TOTP and backup codes, "hwk" for WebAuthn.
const (
	MethodTOTP       = "totp"
	MethodWebAuthn   = "webauthn"
	MethodBackupCode = "backup_code"
)

// Config configures a Service.
type Config struct {
	// Issuer is the TOTP issuer shown by authenticator apps. Default "Portcullis".
	Issuer string
	// Skew is how many 30-second steps before and after now a TOTP code may
	// come from. Default 1.
	Skew uint
	// MaxAttempts failed verifications per user within AttemptWindow; then
	// ErrTooManyAttempts. Defaults 5 and 5 minutes.
	MaxAttempts   int
	AttemptWindow time.Duration
	// WebAuthn relying party: ID (a domain, e.g. "localhost"), display name,
	// and the origins assertions may come from.
	RPID          string
	RPDisplayName string
	RPOrigins     []string
	// Redis, when set, shares the attempt counters between secretsd nodes;
	// otherwise they live in this process.
	Redis redis.UniversalClient
}

// User is what mfa needs to know of an account.
type User struct {
	ID       string
	Username string
	// RequiresMFA: its role demands a second factor, so its last one cannot
	// be removed.
	RequiresMFA bool
}

// Device is a factor as listed to its owner: never its secret.
type Device struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"` // "totp" or "webauthn"
	Name       string    `json:"name"`
	Confirmed  bool      `json:"confirmed"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// TOTPEnrollment is shown once when a TOTP device is added.
type TOTPEnrollment struct {
	Device Device
	URI    string // otpauth://totp/...
	Secret string // base32, for manual entry
	QRPNG  []byte // the URI as a QR code
}

// Proof is what a user presents to pass a challenge: exactly one of Code
// (TOTP), BackupCode or Assertion (a WebAuthn credential assertion, JSON as
// navigator.credentials.get returns it).
type Proof struct {
	Method     string
	Code       string
	BackupCode string
	Assertion  json.RawMessage
}

// Service manages factors.
type Service struct {
	cfg    Config
	store  store.Store
	sealer kek.Sealer
	clock  clock.Clock
	log    zerolog.Logger
}

// New returns a Service.
func New(cfg Config, st store.Store, sealer kek.Sealer, clk clock.Clock, log zerolog.Logger) (*Service, error) {
	panic("mfa.New: not implemented yet")
}

// Methods lists the methods the user can complete a challenge with now
// (confirmed devices, unused backup codes), in a stable order.
func (s *Service) Methods(ctx context.Context, userID string) ([]string, error) {
	panic("not implemented yet")
}

// HasFactor reports whether the user has any confirmed device or unused backup code.
func (s *Service) HasFactor(ctx context.Context, userID string) (bool, error) {
	panic("not implemented yet")
}

// EnrollTOTP adds an unconfirmed TOTP device.
func (s *Service) EnrollTOTP(ctx context.Context, u User, name string) (TOTPEnrollment, error) {
	panic("not implemented yet")
}

// ConfirmTOTP confirms a device with a first valid code.
func (s *Service) ConfirmTOTP(ctx context.Context, u User, deviceID, code string) (Device, error) {
	panic("not implemented yet")
}

// BeginWebAuthnRegistration starts a registration ceremony; it returns the
// PublicKeyCredentialCreationOptions (JSON, for navigator.credentials.create)
// and a handle to finish it with.
func (s *Service) BeginWebAuthnRegistration(ctx context.Context, u User, name string) (options json.RawMessage, handle string, err error) {
	panic("not implemented yet")
}

// FinishWebAuthnRegistration verifies the authenticator's attestation
// response (JSON) and stores the credential.
func (s *Service) FinishWebAuthnRegistration(ctx context.Context, u User, handle string, response json.RawMessage) (Device, error) {
	panic("not implemented yet")
}

// BeginWebAuthnLogin starts an assertion ceremony for the user's WebAuthn
// devices; it returns the PublicKeyCredentialRequestOptions (JSON) and a
// handle that Verify needs with the assertion.
func (s *Service) BeginWebAuthnLogin(ctx context.Context, u User) (options json.RawMessage, handle string, err error) {
	panic("not implemented yet")
}

// Verify checks a proof against the user's factors, counting failures:
// ErrTooManyAttempts (*TooManyAttempts) once over the limit, even for a right
// code. handle is the one BeginWebAuthnLogin returned (WebAuthn only). It
// returns the amr values the proof establishes.
func (s *Service) Verify(ctx context.Context, u User, p Proof, handle string) (amr []string, err error) {
	panic("not implemented yet")
}

// GenerateBackupCodes replaces the user's backup codes with 10 new ones,
// returned once.
func (s *Service) GenerateBackupCodes(ctx context.Context, u User) ([]string, error) {
	panic("not implemented yet")
}

// BackupCodesLeft counts the user's unused backup codes.
func (s *Service) BackupCodesLeft(ctx context.Context, userID string) (int, error) {
	panic("not implemented yet")
}

// Devices lists the user's devices.
func (s *Service) Devices(ctx context.Context, userID string) ([]Device, error) {
	panic("not implemented yet")
}

// RemoveDevice removes a device; ErrLastFactor when u.RequiresMFA and it is
// the last confirmed factor.
func (s *Service) RemoveDevice(ctx context.Context, u User, deviceID string) error {
	panic("not implemented yet")
}

// Reset removes every factor and backup code of the user (admin action).
func (s *Service) Reset(ctx context.Context, userID string) error {
	panic("not implemented yet")
}
