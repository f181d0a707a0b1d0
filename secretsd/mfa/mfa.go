// Package mfa holds the second factors of secretsd's users: TOTP (RFC 6238),
// WebAuthn/FIDO2 (go-webauthn), single-use backup codes, and the limit on
// failed attempts. Devices are stored through package store with their
// secrets sealed by package kek. It knows nothing of HTTP; identity drives it.
//
// Files by role: totp.go and qr.go (enrolment, codes), webauthn.go (the two
// ceremonies), backupcodes.go, attempts.go (the failure limiter, Redis or
// in process), devices.go (listing, removal, the last-factor rule),
// service.go (New, Verify, and the amr each method establishes).
//
// Single use is always decided by the store in one conditional statement
// (a TOTP step, a backup code, a WebAuthn ceremony, a signature counter), so
// it holds across secretsd nodes sharing a database.
package mfa

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
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
	// ErrNameTaken: the user already has a device of that name (or the
	// authenticator is registered already). errors.Is(err,
	// store.ErrConflict) holds for it too.
	ErrNameTaken error = conflictError("a second factor of that name exists")
	// ErrInvalidName: a device name is too long or holds control characters.
	ErrInvalidName = errors.New("invalid device name: at most 64 characters, no control characters")
)

// conflictError is a sentinel that is also a store.ErrConflict.
type conflictError string

func (e conflictError) Error() string        { return string(e) }
func (e conflictError) Is(target error) bool { return target == store.ErrConflict }

// TooManyAttempts is returned (wrapping ErrTooManyAttempts) with when to retry.
type TooManyAttempts struct{ RetryAfter time.Duration }

func (e *TooManyAttempts) Error() string { return ErrTooManyAttempts.Error() }
func (e *TooManyAttempts) Unwrap() error { return ErrTooManyAttempts }

// Methods a user can complete a challenge with. The amr values (RFC 8176)
// Verify returns for them: ["otp","mfa"] for TOTP and backup codes,
// ["hwk","mfa"] for WebAuthn, ["hwk","user","mfa"] when the authenticator
// verified the user; see service.go for why.
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
	// and the origins assertions may come from. Defaults "localhost", Issuer,
	// and ["https://" + RPID].
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
	cfg      Config
	store    store.Store
	sealer   kek.Sealer
	clock    clock.Clock
	log      zerolog.Logger
	webauthn *webauthn.WebAuthn
	attempts attemptLimiter
	backup   backupKey
}
