// Package identity is secretsd's identity service: users and their roles,
// Argon2id passwords, login with a second factor, sessions, access tokens
// (through package signing) and rotating refresh tokens with reuse
// detection, step-up, revocation, and API tokens. It knows nothing of HTTP:
// package api adapts it.
package identity

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Errors for errors.Is; package api maps each to one status and error code.
var (
	// ErrInvalidCredentials: unknown user, wrong password or disabled account,
	// never told apart (the answer and its timing are the same).
	ErrInvalidCredentials = errors.New("invalid username or password")
	ErrUnauthenticated    = errors.New("missing, invalid, expired or revoked token")
	ErrForbidden          = errors.New("not allowed")
	ErrNotFound           = errors.New("not found")
	ErrConflict           = errors.New("already exists")
	// ErrInvalidInput wraps every validation failure with what is wrong.
	ErrInvalidInput = errors.New("invalid input")
	// ErrInvalidChallenge: unknown, expired or already completed MFA challenge.
	ErrInvalidChallenge = errors.New("invalid or expired challenge")
	// ErrRefreshReused: an already rotated refresh token came back; its whole
	// family (session) is revoked.
	ErrRefreshReused = errors.New("refresh token reuse detected; session revoked")
	// ErrAlreadyBootstrapped: bootstrap runs only on an empty user table.
	ErrAlreadyBootstrapped = errors.New("users exist already; bootstrap is only for the first admin")
	// ErrAuditFailed: a privileged action was refused because its audit
	// event could not be recorded first; nothing was changed.
	ErrAuditFailed = errors.New("audit trail unavailable; the action was not taken")
	// Second-factor errors come from package mfa (mfa.ErrInvalidCode,
	// mfa.ErrTooManyAttempts, mfa.ErrLastFactor, ...), wrapped.
)

// Role is one of the five roles of DESIGN.md.
type Role string

// The roles.
const (
	RoleAdmin     Role = "Admin"
	RoleDeveloper Role = "Developer"
	RoleOperator  Role = "Operator"
	RoleViewer    Role = "Viewer"
	RoleAuditor   Role = "Auditor"
)

// Roles lists them in order of privilege, highest first.
var Roles = []Role{RoleAdmin, RoleOperator, RoleDeveloper, RoleAuditor, RoleViewer}

// Argon2Params are the Argon2id cost parameters (RFC 9106).
type Argon2Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

// Config configures the Service.
type Config struct {
	Issuer   string   // iss of access tokens. Default "https://portcullis.local".
	Audience []string // aud. Default ["portcullis-gateway"].
	ClientID string   // client_id of tokens from the CLI login. Default "portcullis-cli".
	// AccessTTL default 15m; RefreshTTL default 7 days; ChallengeTTL (MFA
	// login challenge) default 5m.
	AccessTTL    time.Duration
	RefreshTTL   time.Duration
	ChallengeTTL time.Duration
	// MFARequiredRoles must keep at least one second factor. Default: Admin.
	// A user of such a role who has none yet still logs in with the password
	// alone (acr urn:portcullis:acr:pwd), so that they can enrol one; what a
	// password-only token may do is the gateway's decision (mfa_stepup and
	// the Cedar policies), not this service's.
	MFARequiredRoles []Role
	// Argon2 are the parameters of new password hashes. Zero: DefaultArgon2
	// (m=65536 KiB, t=2, p=1, above OWASP's m=19456 KiB, t=2, p=1). Hashes
	// made with weaker parameters are remade at the next successful login.
	Argon2 Argon2Params
	// MaxConcurrentHashes bounds the Argon2id computations running at once
	// (each takes Argon2.Memory). Zero: one per CPU, within 256 MiB.
	MaxConcurrentHashes int
}

// Auditor receives identity events (the server's writes them to the audit
// trail). Record must not block for long; for an event with Durable set it
// returns only once the event is stored, and an error makes the action fail.
type Auditor interface {
	Record(ctx context.Context, e Event) error
}

// Event is one auditable identity event.
type Event struct {
	Action  string // e.g. "auth.login", "auth.mfa.verify", "token.refresh.reuse", "user.create"
	Outcome string // "success" or "failure"
	Reason  string
	ActorID string // who did it (empty when unauthenticated)
	Subject string // whom it concerns (user id)
	Session string
	Details map[string]any // never secrets
	// Durable is set for the event of an action that waits on it (a
	// privileged action, recorded before it takes effect).
	Durable bool
}

// Deps are the Service's collaborators.
type Deps struct {
	Store store.Store
	Keys  *signing.Keyring
	MFA   *mfa.Service
	// Revocations, when set (Redis), announces revocations to every gateway
	// at once; they are also always recorded in the store's revocation log,
	// which feeds gateways without Redis.
	Revocations revocation.Publisher
	Audit       Auditor
	Clock       clock.Clock
	Log         zerolog.Logger
}

// User is an account as the API shows it: never the password hash.
type User struct {
	ID         string    `json:"id"`
	Username   string    `json:"username"`
	Email      string    `json:"email,omitempty"`
	Role       Role      `json:"role"`
	Team       string    `json:"team"`
	Groups     []string  `json:"groups"`
	Disabled   bool      `json:"disabled"`
	MFAEnabled bool      `json:"mfa_enabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// NewUser is what an admin gives to create an account.
type NewUser struct {
	Username string
	Password string
	Email    string
	Role     Role
	Team     string
	Groups   []string
}

// UserChange changes an account; nil fields stay as they are.
type UserChange struct {
	Role     *Role
	Team     *string
	Groups   *[]string
	Disabled *bool
	Password *string
}

// Actor is an authenticated caller of secretsd (from an access token or an
// API token).
type Actor struct {
	UserID    string
	Username  string
	Role      Role
	Team      string
	SessionID string // empty for API tokens
	TokenID   string // jti, or the API token id
	Expiry    time.Time
	AuthTime  time.Time
	AMR       []string
	// APIToken is set when the caller used an API token; Scopes limit it.
	APIToken bool
	Scopes   []string
}

// Tokens is what a completed login, step-up or refresh returns.
type Tokens struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"` // "Bearer"
	ExpiresIn    int       `json:"expires_in"` // seconds
	ExpiresAt    time.Time `json:"expires_at"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	SessionID    string    `json:"session_id"`
	Scope        string    `json:"scope,omitempty"`
}

// Challenge asks for a second factor to finish a login or a step-up.
type Challenge struct {
	Token     string    `json:"mfa_token"` // single-purpose, short-lived
	Methods   []string  `json:"methods"`
	ExpiresAt time.Time `json:"expires_at"`
	// WebAuthn holds PublicKeyCredentialRequestOptions when the user has a
	// WebAuthn device.
	WebAuthn json.RawMessage `json:"webauthn,omitempty"`
}

// LoginResult is either Tokens or a Challenge.
type LoginResult struct {
	Tokens    *Tokens
	Challenge *Challenge
}

// ClientInfo describes where a request came from, for audit and limits.
type ClientInfo struct {
	IP        string
	UserAgent string
	RequestID string
}

// APIToken is an API token as listed (never its value).
type APIToken struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// NewAPIToken is what a user gives to create one.
type NewAPIToken struct {
	Name   string
	Scopes []string      // roles and actions the token is limited to (see the table in authorize.go); no role: the user's role
	TTL    time.Duration // zero: never expires
}

// CreatedAPIToken carries the value, shown once.
type CreatedAPIToken struct {
	Token string `json:"token"`
	APIToken
}
