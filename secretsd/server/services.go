package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/config"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Services are secretsd's services wired from a configuration: what both
// `secretsd serve` and `secretsd bootstrap` need.
type Services struct {
	Store    store.Store
	Sealer   kek.Sealer
	Keys     *signing.Keyring
	MFA      *mfa.Service
	Identity *identity.Service
	// Redis is nil when none is configured.
	Redis redis.UniversalClient
	// Audit is this process's audit trail; the identity service writes to it.
	Audit *Audit
}

// Option tunes OpenServices and New (tests inject a clock).
type Option func(*options)

type options struct {
	clock       clock.Clock
	auditWriter string
	registerer  prometheus.Registerer
}

// WithClock sets the clock of every service (default: the system clock).
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithAuditWriter names this process's audit chains instead of [audit]
// writer: a second process on the same trail (secretsd bootstrap while the
// daemon runs) must never append to the daemon's chains.
func WithAuditWriter(name string) Option { return func(o *options) { o.auditWriter = name } }

// WithRegisterer receives the services' metrics (the audit queue's).
func WithRegisterer(r prometheus.Registerer) Option { return func(o *options) { o.registerer = r } }

func collect(opts []Option) options {
	o := options{clock: clock.System}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// OpenServices opens the store (applying migrations), loads or creates the
// key-encryption key and the signing keys, and builds the services. Close
// releases them.
func OpenServices(ctx context.Context, cfg config.Config, log zerolog.Logger, opts ...Option) (_ *Services, err error) {
	o := collect(opts)
	s := &Services{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	s.Store, err = store.Open(ctx, store.Config{
		Driver: cfg.Storage.Driver, Path: cfg.Storage.Path, DSN: cfg.Storage.DSN,
		Schema: cfg.Storage.Schema, MaxOpenConns: cfg.Storage.MaxOpenConns,
	})
	if err != nil {
		return nil, err
	}
	if s.Sealer, err = openSealer(cfg.KMS); err != nil {
		return nil, err
	}
	writer := cfg.Audit.Writer
	if o.auditWriter != "" {
		writer = o.auditWriter
	}
	if s.Audit, err = openAudit(cfg.Audit, writer, o.clock, o.registerer); err != nil {
		return nil, err
	}
	if cfg.Redis.URL != "" {
		// Every command honours its caller's deadline, so a hung Redis
		// cannot hold a request past it (see redisconn.Options.New).
		if s.Redis, err = cfg.Redis.Options().New(); err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
	}
	s.Keys, err = signing.New(ctx, signing.Config{
		Algorithm:   cfg.JWT.Algorithm,
		RotateEvery: cfg.JWT.RotateEvery,
		MaxTokenTTL: cfg.JWT.AccessTTL,
		Logger:      log.With().Str("component", "signing").Logger(),
	}, s.Store, s.Sealer, o.clock)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	s.MFA, err = mfa.New(mfa.Config{
		Issuer:        cfg.MFA.Issuer,
		MaxAttempts:   cfg.MFA.MaxAttempts,
		AttemptWindow: cfg.MFA.AttemptWindow,
		RPID:          cfg.MFA.WebAuthnRPID,
		RPDisplayName: cfg.MFA.WebAuthnRPName,
		RPOrigins:     cfg.Origins(),
		Redis:         s.Redis,
	}, s.Store, s.Sealer, o.clock, log)
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	roles := make([]identity.Role, len(cfg.MFA.RequiredRoles))
	for i, r := range cfg.MFA.RequiredRoles {
		roles[i] = identity.Role(r)
	}
	deps := identity.Deps{
		Store: s.Store,
		Keys:  s.Keys,
		MFA:   s.MFA,
		Audit: s.Audit.Auditor,
		Clock: o.clock,
		Log:   log.With().Str("component", "identity").Logger(),
	}
	if s.Redis != nil {
		deps.Revocations = revocation.NewRedisPublisher(s.Redis, revocation.Keys{Prefix: cfg.Redis.KeyPrefix}, o.clock)
	}
	s.Identity, err = identity.New(identity.Config{
		Issuer:           cfg.JWT.Issuer,
		Audience:         cfg.JWT.Audience,
		ClientID:         cfg.JWT.ClientID,
		AccessTTL:        cfg.JWT.AccessTTL,
		RefreshTTL:       cfg.JWT.RefreshTTL,
		ChallengeTTL:     cfg.MFA.ChallengeTTL,
		MFARequiredRoles: roles,
		Argon2: identity.Argon2Params{
			Memory:      cfg.Password.MemoryKiB,
			Iterations:  cfg.Password.Iterations,
			Parallelism: cfg.Password.Parallelism,
			SaltLength:  identity.DefaultArgon2.SaltLength,
			KeyLength:   identity.DefaultArgon2.KeyLength,
		},
	}, deps)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the audit trail (draining its queue), then releases the
// store and the Redis client.
func (s *Services) Close() error {
	var errs []error
	if s.Audit != nil {
		errs = append(errs, s.Audit.Close())
	}
	if s.Redis != nil {
		errs = append(errs, s.Redis.Close())
	}
	if s.Store != nil {
		errs = append(errs, s.Store.Close())
	}
	return errors.Join(errs...)
}

// openSealer loads the key-encryption key: SECRETSD_MASTER_KEY when given,
// else the master key file, created on first start.
func openSealer(c config.KMS) (kek.Sealer, error) {
	if c.Provider != "local" {
		return nil, fmt.Errorf("kms: provider %q is not available", c.Provider)
	}
	if c.MasterKey != "" {
		l, err := kek.ParseLocalKey(c.MasterKey)
		if err != nil {
			// The parser's message never holds the key, but say where it came from.
			return nil, fmt.Errorf("SECRETSD_MASTER_KEY: %w", err)
		}
		return l, nil
	}
	return kek.LoadOrCreateLocalKeyFile(c.MasterKeyFile)
}
