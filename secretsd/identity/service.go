package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Defaults of Config.
const (
	DefaultIssuer       = "https://portcullis.local"
	DefaultAudience     = "portcullis-gateway"
	DefaultClientID     = "portcullis-cli"
	DefaultAccessTTL    = 15 * time.Minute
	DefaultRefreshTTL   = 7 * 24 * time.Hour
	DefaultChallengeTTL = 5 * time.Minute
)

// The acr values (the ladder of internal/stepup, weakest first).
const (
	ACRPassword          = "urn:portcullis:acr:pwd"
	ACRMultiFactor       = "urn:portcullis:acr:mfa"
	ACRPhishingResistant = "urn:portcullis:acr:phr"
)

// amrPassword is RFC 8176 §2 "pwd".
const amrPassword = "pwd"

// Service is the identity service. It is safe for concurrent use.
type Service struct {
	cfg    Config
	deps   Deps
	clock  clock.Clock
	hasher *passwordHasher
	revs   *revocationIndex

	// notifyMu guards notify, a channel closed (and replaced) on every
	// revocation made by this process, which wakes the feed's long polls.
	notifyMu sync.Mutex
	notify   chan struct{}
}

// New returns a Service. It computes one Argon2id hash (the dummy hash that
// unknown users are checked against), so it takes as long as a login.
func New(cfg Config, deps Deps) (*Service, error) {
	if deps.Store == nil || deps.Keys == nil || deps.MFA == nil {
		return nil, errors.New("identity: Store, Keys and MFA are required")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if len(cfg.Audience) == 0 {
		cfg.Audience = []string{DefaultAudience}
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.ChallengeTTL == 0 {
		cfg.ChallengeTTL = DefaultChallengeTTL
	}
	if cfg.AccessTTL < 0 || cfg.RefreshTTL < 0 || cfg.ChallengeTTL < 0 {
		return nil, errors.New("identity: token and challenge lifetimes must be positive")
	}
	if cfg.MFARequiredRoles == nil {
		cfg.MFARequiredRoles = []Role{RoleAdmin}
	}
	for _, r := range cfg.MFARequiredRoles {
		if !r.Valid() {
			return nil, fmt.Errorf("identity: MFA required roles: %q is not one of %s", r, roleNames())
		}
	}
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2
	}
	hasher, err := newPasswordHasher(cfg.Argon2, cfg.MaxConcurrentHashes)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if deps.Clock == nil {
		deps.Clock = clock.System
	}
	if deps.Audit == nil {
		return nil, errors.New("identity: an Auditor is required (privileged actions are recorded before they take effect)")
	}
	if cfg.Argon2.Memory < owaspMinimum.Memory || cfg.Argon2.Iterations < owaspMinimum.Iterations {
		deps.Log.Warn().Uint32("memory_kib", cfg.Argon2.Memory).Uint32("iterations", cfg.Argon2.Iterations).
			Msg("identity: Argon2id parameters are below OWASP's minimum (m=19456 KiB, t=2); use them in tests only")
	}
	return &Service{
		cfg:    cfg,
		deps:   deps,
		clock:  deps.Clock,
		hasher: hasher,
		revs:   newRevocationIndex(),
		notify: make(chan struct{}),
	}, nil
}

// Config returns the configuration with its defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// randomToken returns prefix + n random bytes in unpadded base64url.
func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// idEncoding writes ids in lower-case base32: case-insensitive, URL-safe.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns a random 128-bit identifier (26 characters).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// digest is the SHA-256 under which a high-entropy token (refresh, API,
// challenge) is stored: the value has 256 random bits, so a fast unsalted
// hash suffices and lookups stay an index probe.
func digest(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// mfaUser is what package mfa needs of an account.
func (s *Service) mfaUser(u store.User) mfa.User {
	return mfa.User{ID: u.ID, Username: u.Username, RequiresMFA: s.requiresMFA(Role(u.Role))}
}

// publicUser is the account as the API shows it.
func (s *Service) publicUser(ctx context.Context, u store.User) (User, error) {
	has, err := s.deps.MFA.HasFactor(ctx, u.ID)
	if err != nil {
		return User{}, fmt.Errorf("reading the factors of user %s: %w", u.ID, err)
	}
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	return User{
		ID:         u.ID,
		Username:   u.Username,
		Email:      u.Email,
		Role:       Role(u.Role),
		Team:       u.Team,
		Groups:     groups,
		Disabled:   u.Disabled,
		MFAEnabled: has,
		CreatedAt:  u.CreatedAt,
		UpdatedAt:  u.UpdatedAt,
	}, nil
}

// getUser reads an account, mapping the store's not-found to ErrNotFound.
func (s *Service) getUser(ctx context.Context, id string) (store.User, error) {
	u, err := s.deps.Store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("user %q: %w", truncate(id, 64), ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("reading user %q: %w", truncate(id, 64), err)
	}
	return u, nil
}
