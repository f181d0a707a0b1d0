package client

import (
	"encoding/json"
	"time"
)

// The objects of API.md, as they travel. Times are RFC 3339 UTC; a time the
// server leaves out (never used, never revoked) is the zero time.

// Tokens is what a completed login, MFA verification, refresh or step-up
// returns. A step-up returns no RefreshToken.
type Tokens struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    int       `json:"expires_in"`
	ExpiresAt    time.Time `json:"expires_at"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	SessionID    string    `json:"session_id"`
	Scope        string    `json:"scope,omitempty"`
}

// Challenge asks for a second factor to finish a login or a step-up.
type Challenge struct {
	MFAToken  string    `json:"mfa_token"`
	Methods   []string  `json:"methods"`
	ExpiresAt time.Time `json:"expires_at"`
	// WebAuthn holds the PublicKeyCredentialRequestOptions when the user
	// has a WebAuthn device.
	WebAuthn json.RawMessage `json:"webauthn,omitempty"`
}

// Offers reports whether the challenge can be completed with method.
func (c *Challenge) Offers(method string) bool {
	for _, m := range c.Methods {
		if m == method {
			return true
		}
	}
	return false
}

// The second-factor methods of a Challenge.
const (
	MethodTOTP       = "totp"
	MethodBackupCode = "backup_code"
	MethodWebAuthn   = "webauthn"
)

// LoginResult is the answer to a login: exactly one of Tokens (no second
// factor needed) and MFA (a challenge to complete with VerifyMFA).
type LoginResult struct {
	Tokens *Tokens    `json:"tokens,omitempty"`
	MFA    *Challenge `json:"mfa,omitempty"`
}

// Proof completes a challenge: Method and the field that goes with it.
type Proof struct {
	Method     string          `json:"method"`
	Code       string          `json:"code,omitempty"`        // totp
	BackupCode string          `json:"backup_code,omitempty"` // backup_code
	Assertion  json.RawMessage `json:"assertion,omitempty"`   // webauthn
}

// TOTPProof and BackupCodeProof build the common proofs.
func TOTPProof(code string) Proof       { return Proof{Method: MethodTOTP, Code: code} }
func BackupCodeProof(code string) Proof { return Proof{Method: MethodBackupCode, BackupCode: code} }

// User is an account.
type User struct {
	ID         string    `json:"id"`
	Username   string    `json:"username"`
	Email      string    `json:"email,omitempty"`
	Role       string    `json:"role"`
	Team       string    `json:"team"`
	Groups     []string  `json:"groups"`
	Disabled   bool      `json:"disabled"`
	MFAEnabled bool      `json:"mfa_enabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// WhoAmI describes the caller.
type WhoAmI struct {
	User      User      `json:"user"`
	SessionID string    `json:"session_id,omitempty"`
	TokenID   string    `json:"token_id"`
	AuthTime  time.Time `json:"auth_time,omitzero"`
	AMR       []string  `json:"amr"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	APIToken  bool      `json:"api_token"`
	Scopes    []string  `json:"scopes,omitempty"`
}

// Revocation names what Revoke revokes: exactly one field is set.
type Revocation struct {
	TokenID   string `json:"token_id,omitempty"`
	SessionID string `json:"session_id,omitempty"`
	UserID    string `json:"user_id,omitempty"`
}

// Device is a second factor, never its secret.
type Device struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Confirmed  bool      `json:"confirmed"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Devices is the caller's factors.
type Devices struct {
	Devices         []Device `json:"devices"`
	BackupCodesLeft int      `json:"backup_codes_left"`
}

// TOTPEnrollment is shown once, when a TOTP device is added.
type TOTPEnrollment struct {
	Device Device `json:"device"`
	URI    string `json:"uri"`
	Secret string `json:"secret"`
	QRPNG  []byte `json:"qr_png"` // base64 on the wire
}

// WebAuthnRegistration starts a registration ceremony: Options go to
// navigator.credentials.create, Handle back with its response.
type WebAuthnRegistration struct {
	Handle  string          `json:"handle"`
	Options json.RawMessage `json:"options"`
}

// NewAPIToken is what CreateAPIToken sends.
type NewAPIToken struct {
	Name   string        `json:"name"`
	Scopes []string      `json:"scopes,omitempty"`
	TTL    time.Duration `json:"-"` // zero: never expires
}

// APIToken is an API token as listed, never its value.
type APIToken struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id,omitempty"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// CreatedAPIToken carries the token's value, shown once.
type CreatedAPIToken struct {
	Token string `json:"token"`
	APIToken
}

// NewUser is what an admin sends to create an account.
type NewUser struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Email    string   `json:"email,omitempty"`
	Role     string   `json:"role"`
	Team     string   `json:"team,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// UserChange changes an account; nil fields are left as they are.
type UserChange struct {
	Role     *string   `json:"role,omitempty"`
	Team     *string   `json:"team,omitempty"`
	Groups   *[]string `json:"groups,omitempty"`
	Disabled *bool     `json:"disabled,omitempty"`
	Password *string   `json:"password,omitempty"`
}

// RevocationBatch is one answer of the revocation feed: entries in the
// format of internal/revocation's Entry.Message, and the cursor to ask
// after next.
type RevocationBatch struct {
	Cursor  int64    `json:"cursor"`
	Entries []string `json:"entries"`
}

// Health is the answer of /healthz.
type Health struct {
	Status string `json:"status"`
	Store  string `json:"store"`
	Redis  string `json:"redis"`
}
