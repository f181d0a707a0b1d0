// Package signing holds secretsd's access-token signing keys: it issues
// RFC 9068 access tokens, publishes the JWKS the gateway verifies against,
// and rotates keys on a schedule or on command, keeping a retired public key
// published until every token it signed has expired.
package signing

import (
	"context"
	"errors"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/store"
)

// ErrInvalidToken wraps every reason Verify refuses a token.
var ErrInvalidToken = errors.New("invalid access token")

// Config configures a Keyring.
type Config struct {
	// Algorithm of new keys: RS256 (default), ES256 or EdDSA.
	Algorithm string
	// RotateEvery is how old the active key may get before Run replaces it.
	// Zero: only on command. Default in secretsd's config: 30 days.
	RotateEvery time.Duration
	// MaxTokenTTL is the longest lifetime of a token signed by these keys: a
	// retired key stays published for this long (plus Leeway).
	MaxTokenTTL time.Duration
	// Leeway added to MaxTokenTTL for clock skew between nodes. Default 1m.
	Leeway time.Duration
}

// Claims is an access token to issue (RFC 9068 §2.2 plus Portcullis claims).
type Claims struct {
	Issuer    string
	Audience  []string
	Subject   string
	ClientID  string
	TokenID   string // jti; generated when empty
	SessionID string
	IssuedAt  time.Time
	Expiry    time.Time
	AuthTime  time.Time
	AMR       []string
	ACR       string
	Role      string
	Team      string
	Groups    []string
	// Extra claims (e.g. "scope"); may not override the ones above.
	Extra map[string]any
}

// Keyring signs with the active key and verifies with any published one. It
// is safe for concurrent use; several secretsd nodes share the keys through
// the store.
type Keyring struct {
	cfg    Config
	store  store.SigningKeys
	sealer kek.Sealer
	clock  clock.Clock
}

// New loads the keys from the store, creating the first one when there is
// none.
func New(ctx context.Context, cfg Config, st store.SigningKeys, sealer kek.Sealer, clk clock.Clock) (*Keyring, error) {
	panic("signing.New: not implemented yet")
}

// Sign issues a token signed with the active key, header typ "at+jwt" and
// kid. It returns the compact serialisation and the jti.
func (k *Keyring) Sign(c Claims) (token, jti string, err error) {
	panic("not implemented yet")
}

// Verify checks a token this keyring issued (signature with a published key,
// typ at+jwt, issuer, audience, expiry) and returns its claims. Revocation is
// the caller's concern.
func (k *Keyring) Verify(token, issuer, audience string) (*principal.Principal, error) {
	panic("not implemented yet")
}

// JWKS returns the published key set (RFC 7517 §5) as JSON: the active key
// and every retired key still within its PublishUntil.
func (k *Keyring) JWKS() ([]byte, error) {
	panic("not implemented yet")
}

// Rotate makes a new active key and retires the current one; it returns the
// new kid.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	panic("not implemented yet")
}

// Run rotates on schedule, picks up keys rotated by other nodes and drops keys
// past their PublishUntil, until ctx ends.
func (k *Keyring) Run(ctx context.Context) {
	panic("not implemented yet")
}

// ActiveKeyID names the key that signs now.
func (k *Keyring) ActiveKeyID() string {
	panic("not implemented yet")
}
