// Package signing holds secretsd's access-token signing keys: it issues
// RFC 9068 access tokens, publishes the JWKS the gateway verifies against,
// and rotates keys on a schedule or on command, keeping a retired public key
// published until every token it signed has expired.
//
// Keys live in the store, shared by every secretsd node: the private JWK
// sealed by the key-encryption key (bound to its kid), the public JWK in
// clear. Each node keeps the keys in memory and reloads them on Run's
// schedule, so a rotation made by one node reaches the others within
// ReloadEvery (and at once for Verify, which reloads when a token names a
// kid it does not know). When two nodes rotate at once the store holds two
// active keys: the newest signs everywhere and the others are retired at
// the next reload, published like any retired key.
//
// Tokens are verified by internal/token, the gateway's verifier, so that
// secretsd and the gateway apply one set of rules.
package signing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/store"
)

// ErrInvalidToken wraps every reason Verify refuses a token.
var ErrInvalidToken = errors.New("invalid access token")

// ErrInvalidClaims wraps every reason Sign refuses the claims it is given.
var ErrInvalidClaims = errors.New("invalid access token claims")

// Algorithms a Keyring can issue with.
const (
	RS256 = "RS256" // RSA 2048, PKCS #1 v1.5 with SHA-256 (RFC 7518 §3.3)
	ES256 = "ES256" // ECDSA P-256 with SHA-256 (RFC 7518 §3.4)
	EdDSA = "EdDSA" // Ed25519 (RFC 8037)
)

// Defaults applied to a zero Config field.
const (
	DefaultAlgorithm   = RS256
	DefaultMaxTokenTTL = 15 * time.Minute
	DefaultLeeway      = time.Minute
	DefaultReloadEvery = time.Minute
)

// Config configures a Keyring.
type Config struct {
	// Algorithm of new keys: RS256 (default), ES256 or EdDSA.
	Algorithm string
	// RotateEvery is how old the active key may get before Run replaces it.
	// Zero: only on command. Default in secretsd's config: 30 days.
	RotateEvery time.Duration
	// MaxTokenTTL is the longest lifetime of a token signed by these keys: a
	// retired key stays published for this long (plus Leeway). Sign refuses
	// a token that would outlive it. Default: 15 minutes.
	MaxTokenTTL time.Duration
	// Leeway added to MaxTokenTTL for clock skew between nodes. Default 1m.
	// A node signs with a key another node retired until its next reload,
	// so the leeway used is never less than ReloadEvery.
	Leeway time.Duration
	// ReloadEvery is how often Run reloads the keys from the store, rotates
	// when due and drops keys past their PublishUntil. Default: 1 minute.
	ReloadEvery time.Duration
	// Ticks, when set, drives Run instead of a ticker of ReloadEvery: Run
	// does one pass per value received. It is the seam tests use so that
	// they never sleep.
	Ticks <-chan time.Time
	// Logger receives rotations and reload failures (never key material).
	// The zero Logger discards.
	Logger zerolog.Logger
}

// withDefaults checks cfg and fills its zero fields.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Algorithm == "" {
		cfg.Algorithm = DefaultAlgorithm
	}
	switch cfg.Algorithm {
	case RS256, ES256, EdDSA:
	default:
		return cfg, fmt.Errorf("signing: algorithm %q is not supported (want RS256, ES256 or EdDSA)", cfg.Algorithm)
	}
	if cfg.RotateEvery < 0 || cfg.MaxTokenTTL < 0 || cfg.Leeway < 0 || cfg.ReloadEvery < 0 {
		return cfg, errors.New("signing: durations must not be negative")
	}
	if cfg.MaxTokenTTL == 0 {
		cfg.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.ReloadEvery == 0 {
		cfg.ReloadEvery = DefaultReloadEvery
	}
	return cfg, nil
}

// publishFor is how long a retired key stays published: every token it
// signed expires within MaxTokenTTL, plus skew between nodes, plus the time
// another node may go on signing with it before its next reload.
func (cfg Config) publishFor() time.Duration {
	return cfg.MaxTokenTTL + max(cfg.Leeway, cfg.ReloadEvery)
}

// Claims is an access token to issue (RFC 9068 §2.2 plus Portcullis claims).
type Claims struct {
	Issuer    string
	Audience  []string
	Subject   string
	ClientID  string
	TokenID   string // jti; generated when empty
	SessionID string
	IssuedAt  time.Time // default: now; also the nbf
	Expiry    time.Time // required; at most MaxTokenTTL from now
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
	log    zerolog.Logger

	// state is the keys as last loaded; Sign, Verify and JWKS read it
	// without locking.
	state atomic.Pointer[keyState]
	// mu serialises the operations that write the store and reload, so
	// that a reload never replaces a newer state with an older one.
	mu sync.Mutex

	verifiers verifierCache
	// unknownKeyReloads limits the reloads Verify makes for unknown kids.
	unknownKeyReloads *rate.Limiter
}

// New loads the keys from the store, creating the first one when there is
// none, and rotates to cfg.Algorithm when the active key has another.
func New(ctx context.Context, cfg Config, st store.SigningKeys, sealer kek.Sealer, clk clock.Clock) (*Keyring, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if st == nil || sealer == nil {
		return nil, errors.New("signing: a store and a sealer are required")
	}
	if clk == nil {
		clk = clock.System
	}
	k := &Keyring{
		cfg: cfg, store: st, sealer: sealer, clock: clk, log: cfg.Logger,
		unknownKeyReloads: rate.NewLimiter(rate.Every(unknownKeyReloadEvery), 1),
	}
	k.state.Store(&keyState{})
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reloadLocked(ctx); err != nil {
		return nil, err
	}
	switch active := k.state.Load().active; {
	case active == nil:
		// Two nodes starting on an empty store may both get here; the
		// newest of their two keys wins at the next reload.
		if _, err := k.rotateLocked(ctx); err != nil {
			return nil, err
		}
	case active.alg != cfg.Algorithm:
		k.log.Info().Str("kid", active.kid).Str("from", active.alg).Str("to", cfg.Algorithm).
			Msg("signing algorithm changed: rotating")
		if _, err := k.rotateLocked(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// ActiveKeyID names the key that signs now.
func (k *Keyring) ActiveKeyID() string {
	if a := k.state.Load().active; a != nil {
		return a.kid
	}
	return ""
}
