package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/redisconn"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/signing"
)

// FieldError is a setting whose value is refused.
type FieldError struct {
	Setting string // "section.key"
	Problem string
}

func (e *FieldError) Error() string { return e.Setting + ": " + e.Problem }

// Limits checked by Validate.
const (
	// Argon2id: OWASP's Password Storage Cheat Sheet lists equivalent
	// minimums from m=47104 KiB/t=1 to m=7168 KiB/t=5; memory × passes of
	// each is at least minArgon2Work.
	minArgon2Memory     = 7168
	minArgon2Work       = 35840
	maxArgon2Memory     = 1 << 20 // KiB
	maxArgon2Iterations = 64
	minFeedToken        = 16
	maxBodyLimit        = 64 << 20
)

// Validate checks every setting and returns all problems at once, each a
// *FieldError naming its setting.
func (c Config) Validate() error {
	var v validator

	// [server]
	if _, port, err := net.SplitHostPort(c.Server.Listen); err != nil || port == "" {
		v.bad("server.listen", "%q is not host:port (e.g. 127.0.0.1:8200)", c.Server.Listen)
	}
	if c.Server.PublicURL != "" {
		v.httpURL("server.public_url", c.Server.PublicURL)
	}
	if c.Server.MaxBodyBytes < 1024 || c.Server.MaxBodyBytes > maxBodyLimit {
		v.bad("server.max_body_bytes", "%d is outside [1024, %d]", c.Server.MaxBodyBytes, maxBodyLimit)
	}
	v.positive("server.shutdown_timeout", c.Server.ShutdownTimeout)
	v.positive("server.read_header_timeout", c.Server.ReadHeaderTimeout)
	v.positive("server.read_timeout", c.Server.ReadTimeout)
	v.positive("server.write_timeout", c.Server.WriteTimeout)
	v.positive("server.idle_timeout", c.Server.IdleTimeout)

	// [storage]
	switch c.Storage.Driver {
	case "sqlite":
		if c.Storage.Path == "" {
			v.bad("storage.path", "the sqlite driver needs a database file")
		}
	case "postgres":
		if c.Storage.DSN == "" {
			v.bad("storage.dsn", "the postgres driver needs a DSN (e.g. postgres://user@host:5432/db)")
		}
	default:
		v.bad("storage.driver", "%q is not a driver (want sqlite or postgres)", c.Storage.Driver)
	}

	if c.Storage.MaxOpenConns < 0 || c.Storage.MaxOpenConns > 1000 {
		v.bad("storage.max_open_conns", "%d is outside [0, 1000]", c.Storage.MaxOpenConns)
	}

	// [redis]
	// redisconn's errors name the URL only redacted, never with its password.
	if err := c.Redis.Options().Validate(); errors.Is(err, redisconn.ErrUnknownMode) {
		v.bad("redis.mode", "%v", err)
	} else if err != nil && c.Redis.URL != "" {
		v.bad("redis.url", "%v", err)
	}

	if c.Redis.KeyPrefix == "" || strings.ContainsAny(c.Redis.KeyPrefix, " \t\r\n") {
		v.bad("redis.key_prefix", "%q must be a non-empty word without spaces", c.Redis.KeyPrefix)
	}

	// [jwt]
	if c.JWT.Issuer == "" {
		v.bad("jwt.issuer", "must not be empty")
	}
	if len(c.JWT.Audience) == 0 || slices.Contains(c.JWT.Audience, "") {
		v.bad("jwt.audience", "must name at least one audience, none empty")
	}
	switch c.JWT.Algorithm {
	case signing.RS256, signing.ES256, signing.EdDSA:
	default:
		v.bad("jwt.algorithm", "%q is not supported (want RS256, ES256 or EdDSA)", c.JWT.Algorithm)
	}
	v.between("jwt.access_ttl", c.JWT.AccessTTL, time.Minute, 24*time.Hour)
	if v.between("jwt.refresh_ttl", c.JWT.RefreshTTL, time.Minute, 365*24*time.Hour) && c.JWT.RefreshTTL < c.JWT.AccessTTL {
		v.bad("jwt.refresh_ttl", "%s is shorter than jwt.access_ttl (%s)", c.JWT.RefreshTTL, c.JWT.AccessTTL)
	}
	if c.JWT.RotateEvery != 0 && c.JWT.RotateEvery < time.Hour {
		v.bad("jwt.rotate_every", "%s is below 1h (0s rotates only on command)", c.JWT.RotateEvery)
	}
	if c.JWT.ClientID == "" {
		v.bad("jwt.client_id", "must not be empty")
	}

	// [mfa]
	if c.MFA.Issuer == "" {
		v.bad("mfa.issuer", "must not be empty")
	}
	if c.MFA.MaxAttempts < 1 || c.MFA.MaxAttempts > 100 {
		v.bad("mfa.max_attempts", "%d is outside [1, 100]", c.MFA.MaxAttempts)
	}
	v.between("mfa.attempt_window", c.MFA.AttemptWindow, time.Second, 24*time.Hour)
	v.between("mfa.challenge_ttl", c.MFA.ChallengeTTL, 30*time.Second, time.Hour)
	for _, r := range c.MFA.RequiredRoles {
		if !slices.Contains(identity.Roles, identity.Role(r)) {
			v.bad("mfa.required_roles", "unknown role %q (want %s)", r, roleList())
		}
	}
	if c.MFA.WebAuthnRPID == "" || strings.ContainsAny(c.MFA.WebAuthnRPID, "/: ") {
		v.bad("mfa.webauthn_rp_id", "%q is not a domain (e.g. localhost or example.com)", c.MFA.WebAuthnRPID)
	}
	if c.MFA.WebAuthnRPName == "" {
		v.bad("mfa.webauthn_rp_name", "must not be empty")
	}
	for _, o := range c.MFA.WebAuthnOrigins {
		v.httpURL("mfa.webauthn_origins", o)
	}

	// [password]
	p := c.Password
	if p.MemoryKiB < minArgon2Memory || uint64(p.MemoryKiB)*uint64(p.Iterations) < minArgon2Work {
		v.bad("password.memory_kib", "m=%d KiB, t=%d is below OWASP's Argon2id minimum (m=19456 KiB with t=2, or m×t ≥ %d with m ≥ %d)",
			p.MemoryKiB, p.Iterations, minArgon2Work, minArgon2Memory)
	}
	if p.MemoryKiB > maxArgon2Memory {
		v.bad("password.memory_kib", "%d KiB is above %d (1 GiB per login)", p.MemoryKiB, maxArgon2Memory)
	}
	if p.Iterations < 1 || p.Iterations > maxArgon2Iterations {
		v.bad("password.iterations", "%d is outside [1, %d]", p.Iterations, maxArgon2Iterations)
	}
	if p.Parallelism < 1 {
		v.bad("password.parallelism", "must be at least 1")
	}

	// [kms]
	switch c.KMS.Provider {
	case "local":
		if c.KMS.MasterKey == "" && c.KMS.MasterKeyFile == "" {
			v.bad("kms.master_key_file", "the local provider needs a master key file or SECRETSD_MASTER_KEY")
		}
	default:
		v.bad("kms.provider", "%q is not available (want local; Vault and AWS KMS come with the KMS service)", c.KMS.Provider)
	}

	c.validateAudit(&v)

	// [revocation]
	if t := c.Revocation.FeedToken; t != "" && len(t) < minFeedToken {
		v.bad("revocation.feed_token", "is shorter than %d characters", minFeedToken)
	}

	// [log]
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.bad("log.level", "%q is not a level (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		v.bad("log.format", "%q is not a format (want json or console)", c.Log.Format)
	}
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) bad(setting, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Setting: setting, Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) positive(setting string, d time.Duration) {
	if d <= 0 {
		v.bad(setting, "%s must be positive", d)
	}
}

// between reports whether d is within [lo, hi], complaining when not.
func (v *validator) between(setting string, d, lo, hi time.Duration) bool {
	if d < lo || d > hi {
		v.bad(setting, "%s is outside [%s, %s]", d, lo, hi)
		return false
	}
	return true
}

func (v *validator) httpURL(setting, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.bad(setting, "%q is not an http:// or https:// URL with a host", s)
	}
}

func roleList() string {
	names := make([]string, len(identity.Roles))
	for i, r := range identity.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
