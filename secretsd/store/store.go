// Package store is secretsd's persistence: one Store interface with two
// implementations over database/sql, SQLite (pure Go, the embedded default)
// and PostgreSQL (pgx, for several secretsd nodes), sharing versioned
// migrations. Secret columns hold ciphertext sealed by the caller (package
// kek); the store never sees a plaintext secret.
//
// Every operation that must be atomic across secretsd nodes (single use of a
// TOTP step, a backup code, a refresh token or a challenge; a WebAuthn sign
// counter) is one conditional statement or one transaction here, never a
// read-then-write in the caller.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors wrapped by every implementation, for errors.Is.
var (
	// ErrNotFound: no such record (or it expired, or belongs to another user).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a record with the same unique key exists.
	ErrConflict = errors.New("already exists")
	// ErrReused: a refresh token that was already rotated was presented again.
	ErrReused = errors.New("refresh token already used")
)

// Store is everything secretsd persists. Times are stored with at least
// microsecond precision and returned in UTC.
type Store interface {
	Users
	Devices
	BackupCodes
	Sessions
	RefreshTokens
	APITokens
	SigningKeys
	Revocations
	Challenges
	Settings

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
	// Driver names the implementation: "sqlite" or "postgres".
	Driver() string
}

// User is an account. Username is unique, stored as given after the caller
// normalised it (identity lower-cases it).
type User struct {
	ID           string
	Username     string
	Email        string
	PasswordHash string // PHC string, e.g. $argon2id$v=19$m=...,t=...,p=...$salt$hash
	Role         string
	Team         string
	Groups       []string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Users stores accounts.
type Users interface {
	// CreateUser fails with ErrConflict when the username or id is taken.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByUsername(ctx context.Context, username string) (User, error)
	// ListUsers returns every user ordered by username.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser replaces every field but ID and CreatedAt; ErrNotFound when absent,
	// ErrConflict when the new username is taken.
	UpdateUser(ctx context.Context, u User) error
	// CountUsers counts all users (bootstrap refuses when there is any).
	CountUsers(ctx context.Context) (int, error)
}

// Device kinds.
const (
	DeviceTOTP     = "totp"
	DeviceWebAuthn = "webauthn"
)

// Device is one second factor of a user.
type Device struct {
	ID     string
	UserID string
	Kind   string // DeviceTOTP or DeviceWebAuthn
	Name   string // unique per user
	// Secret is sealed: the TOTP seed, or the WebAuthn credential record.
	Secret []byte
	// CredentialID is the WebAuthn credential id (public); nil for TOTP.
	CredentialID []byte
	// Confirmed: a TOTP device counts as a factor only once a first code was
	// verified; WebAuthn devices are confirmed by their registration.
	Confirmed bool
	// LastStep is the last accepted TOTP time step (RFC 6238 §5.2: a code is
	// accepted once).
	LastStep int64
	// SignCount is the last WebAuthn signature counter seen.
	SignCount  uint32
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// Devices stores second factors.
type Devices interface {
	// CreateDevice fails with ErrConflict when the user has a device of that name.
	CreateDevice(ctx context.Context, d Device) error
	// ListDevices returns the user's devices, oldest first.
	ListDevices(ctx context.Context, userID string) ([]Device, error)
	GetDevice(ctx context.Context, userID, id string) (Device, error)
	ConfirmDevice(ctx context.Context, userID, id string, at time.Time) error
	DeleteDevice(ctx context.Context, userID, id string) error
	// DeleteDevices removes all the user's devices and returns how many.
	DeleteDevices(ctx context.Context, userID string) (int, error)
	// AdvanceTOTPStep records step as used if it is later than the device's
	// LastStep, and reports whether it was: false means the code was already
	// used (or an older one was), a replay.
	AdvanceTOTPStep(ctx context.Context, id string, step int64, at time.Time) (bool, error)
	// UpdateSignCount sets the WebAuthn counter from old to new if it still is
	// old (compare-and-set), and reports whether it did.
	UpdateSignCount(ctx context.Context, id string, old, new uint32, at time.Time) (bool, error)
}

// BackupCodes stores hashes of single-use backup codes.
type BackupCodes interface {
	// ReplaceBackupCodes drops the user's codes and stores the new hashes.
	ReplaceBackupCodes(ctx context.Context, userID string, hashes [][]byte, at time.Time) error
	// UseBackupCode consumes the code with this hash if it is unused and
	// reports whether it did.
	UseBackupCode(ctx context.Context, userID string, hash []byte, at time.Time) (bool, error)
	// CountBackupCodes counts the user's unused codes.
	CountBackupCodes(ctx context.Context, userID string) (int, error)
	DeleteBackupCodes(ctx context.Context, userID string) error
}

// Session is one login: the family of its refresh tokens and the sid of its
// access tokens.
type Session struct {
	ID        string // the sid claim
	UserID    string
	ClientID  string
	AuthTime  time.Time // last user authentication (login or step-up)
	AMR       []string
	ACR       string
	CreatedAt time.Time
	ExpiresAt time.Time // when the last refresh token expires
	RevokedAt time.Time // zero while active
	// RevokeReason: "logout", "admin", "refresh_reuse", "user_disabled", ...
	RevokeReason string
}

// Sessions stores logins.
type Sessions interface {
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, id string) (Session, error)
	// ListSessions returns the user's sessions that are neither revoked nor
	// expired at now, newest first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// UpdateSessionAuth records a step-up.
	UpdateSessionAuth(ctx context.Context, id string, authTime time.Time, amr []string, acr string) error
	// RevokeSession marks the session revoked (idempotent: an already revoked
	// session keeps its first time and reason) and deletes its refresh tokens.
	RevokeSession(ctx context.Context, id string, at time.Time, reason string) error
	// RevokeUserSessions revokes every active session of the user and returns
	// their ids.
	RevokeUserSessions(ctx context.Context, userID string, at time.Time, reason string) ([]string, error)
}

// RefreshToken is the stored form of an opaque refresh token: the SHA-256 of
// its value (the value has 256 bits of entropy, so no salt or slow hash is
// needed).
type RefreshToken struct {
	Hash      []byte
	SessionID string // the family
	UserID    string
	IssuedAt  time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until rotated
}

// RefreshTokens stores refresh tokens.
type RefreshTokens interface {
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RotateRefreshToken, in one transaction, marks the token with oldHash
	// used at `at` and stores next. It returns the old token. ErrNotFound:
	// unknown, expired at `at`, or its session is revoked. ErrReused (with
	// the old token, so the caller can revoke its family): it was already used.
	RotateRefreshToken(ctx context.Context, oldHash []byte, next RefreshToken, at time.Time) (RefreshToken, error)
}

// APIToken is a long-lived named token, stored as the SHA-256 of its value.
type APIToken struct {
	ID         string
	UserID     string
	Name       string // unique per user among unrevoked tokens
	Hash       []byte
	Prefix     string // the first characters of the value, to recognise it in lists
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
}

// APITokens stores API tokens.
type APITokens interface {
	CreateAPIToken(ctx context.Context, t APIToken) error
	// ListAPITokens returns the user's tokens (all users' when userID is
	// empty), revoked ones included, newest first.
	ListAPITokens(ctx context.Context, userID string) ([]APIToken, error)
	// GetAPITokenByHash finds a token, revoked or not (the caller decides).
	GetAPITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
	// RevokeAPIToken revokes the token if it belongs to userID (any user when
	// userID is empty); ErrNotFound otherwise.
	RevokeAPIToken(ctx context.Context, userID, id string, at time.Time) error
}

// SigningKey is an access-token signing key.
type SigningKey struct {
	ID        string // kid
	Algorithm string // RS256, ES256 or EdDSA
	Private   []byte // sealed private JWK
	Public    []byte // public JWK (JSON)
	CreatedAt time.Time
	// RetiredAt is when a newer key took over signing; zero for the active key.
	RetiredAt time.Time
	// PublishUntil: a retired key stays in the JWKS until every token it
	// signed has expired. Zero for the active key.
	PublishUntil time.Time
}

// SigningKeys stores signing keys.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every key, newest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	RetireSigningKey(ctx context.Context, id string, at, publishUntil time.Time) error
	// DeleteSigningKeysRetiredBefore removes retired keys whose PublishUntil
	// is before t.
	DeleteSigningKeysRetiredBefore(ctx context.Context, t time.Time) (int, error)
}

// Revocation is one entry of the revocation log, the durable record that
// feeds gateways without Redis (GET /v1/revocations) and survives restarts.
// Kind and Value follow internal/revocation: "jti", "sid" or "sub".
type Revocation struct {
	Seq       int64 // assigned by AddRevocation, increasing
	Kind      string
	Value     string
	Before    time.Time // for "sub": tokens issued before it are revoked
	Until     time.Time // when the entry may be forgotten
	CreatedAt time.Time
}

// Revocations stores the revocation log.
type Revocations interface {
	// AddRevocation appends an entry and returns its sequence number.
	AddRevocation(ctx context.Context, r Revocation) (int64, error)
	// RevocationsAfter returns up to limit entries with Seq > after, in Seq
	// order, skipping none that is still in force at now.
	RevocationsAfter(ctx context.Context, after int64, now time.Time, limit int) ([]Revocation, error)
	// PruneRevocations deletes entries whose Until is before now.
	PruneRevocations(ctx context.Context, now time.Time) (int, error)
	// LastRevocationSeq is the largest Seq in the log, 0 when it is empty. A
	// reader whose cursor is beyond it holds a cursor of another log (the
	// database was recreated) and must start over.
	LastRevocationSeq(ctx context.Context) (int64, error)
}

// Challenge is short-lived, single-purpose server state: a pending MFA login,
// a WebAuthn ceremony, a TOTP enrolment. ID is the SHA-256 of the value
// handed to the client.
type Challenge struct {
	ID        []byte
	UserID    string
	Purpose   string // e.g. "mfa_login", "webauthn_register", "webauthn_login", "step_up"
	Data      []byte // the caller's state (sealed when it holds anything secret)
	ExpiresAt time.Time
}

// Challenges stores challenges.
type Challenges interface {
	PutChallenge(ctx context.Context, c Challenge) error
	// GetChallenge returns the challenge if it exists, has this purpose and
	// has not expired at now; ErrNotFound otherwise.
	GetChallenge(ctx context.Context, id []byte, purpose string, now time.Time) (Challenge, error)
	// DeleteChallenge reports whether this call deleted it: of concurrent
	// callers only one gets true, which makes a challenge single-use.
	DeleteChallenge(ctx context.Context, id []byte) (bool, error)
	// PruneChallenges deletes expired challenges.
	PruneChallenges(ctx context.Context, now time.Time) (int, error)
}

// Settings holds small named values that secretsd creates once, e.g. the
// sealed key that hashes backup codes.
type Settings interface {
	// InitSetting stores value under name unless one is there, and returns
	// the stored value (either way), so concurrent nodes agree on one.
	InitSetting(ctx context.Context, name string, value []byte) ([]byte, error)
	// Setting returns ErrNotFound when absent.
	Setting(ctx context.Context, name string) ([]byte, error)
}
