// Package config is secretsd's configuration: a TOML file (the shape of the
// seed's security.toml: [server], [storage], [jwt], [mfa], [kms], ...) and an
// environment variable for every key, SECRETSD_<SECTION>_<KEY>, which wins
// over the file. Every key has a default, so secretsd starts with no file at
// all. The settings table (settings.go) is the one list of keys: the
// environment overrides and `secretsd --help` are generated from it.
package config

import (
	"path/filepath"
	"time"

	"github.com/portcullis/portcullis/internal/redisconn"
)

// Config is the whole configuration. Load returns it filled and validated.
type Config struct {
	Server     Server     `toml:"server"`
	Storage    Storage    `toml:"storage"`
	Redis      Redis      `toml:"redis"`
	JWT        JWT        `toml:"jwt"`
	MFA        MFA        `toml:"mfa"`
	Password   Password   `toml:"password"`
	KMS        KMS        `toml:"kms"`
	Audit      Audit      `toml:"audit"`
	Revocation Revocation `toml:"revocation"`
	Log        Log        `toml:"log"`
}

// Server configures the HTTP listener.
type Server struct {
	Listen            string        `toml:"listen"`
	PublicURL         string        `toml:"public_url"`
	MaxBodyBytes      int64         `toml:"max_body_bytes"`
	ShutdownTimeout   time.Duration `toml:"shutdown_timeout"`
	ReadHeaderTimeout time.Duration `toml:"read_header_timeout"`
	ReadTimeout       time.Duration `toml:"read_timeout"`
	WriteTimeout      time.Duration `toml:"write_timeout"`
	IdleTimeout       time.Duration `toml:"idle_timeout"`
}

// Storage selects the database.
type Storage struct {
	Driver       string `toml:"driver"`
	Path         string `toml:"path"`
	DSN          string `toml:"dsn"`
	Schema       string `toml:"schema"`
	MaxOpenConns int    `toml:"max_open_conns"`
}

// Redis is optional shared state (revocations, MFA attempt counters).
type Redis struct {
	URL       string `toml:"url"`
	Mode      string `toml:"mode"`
	KeyPrefix string `toml:"key_prefix"`
}

// Options are the settings as internal/redisconn takes them: the gateway
// reads its `redis` option with the same package.
func (r Redis) Options() redisconn.Options {
	return redisconn.Options{URL: r.URL, Mode: r.Mode}
}

// JWT configures access and refresh tokens and their signing keys.
type JWT struct {
	Issuer      string        `toml:"issuer"`
	Audience    []string      `toml:"audience"`
	Algorithm   string        `toml:"algorithm"`
	AccessTTL   time.Duration `toml:"access_ttl"`
	RefreshTTL  time.Duration `toml:"refresh_ttl"`
	RotateEvery time.Duration `toml:"rotate_every"`
	ClientID    string        `toml:"client_id"`
}

// MFA configures second factors.
type MFA struct {
	Issuer          string        `toml:"issuer"`
	MaxAttempts     int           `toml:"max_attempts"`
	AttemptWindow   time.Duration `toml:"attempt_window"`
	ChallengeTTL    time.Duration `toml:"challenge_ttl"`
	RequiredRoles   []string      `toml:"required_roles"`
	WebAuthnRPID    string        `toml:"webauthn_rp_id"`
	WebAuthnRPName  string        `toml:"webauthn_rp_name"`
	WebAuthnOrigins []string      `toml:"webauthn_origins"`
}

// Password holds the Argon2id cost parameters (RFC 9106).
type Password struct {
	MemoryKiB   uint32 `toml:"memory_kib"`
	Iterations  uint32 `toml:"iterations"`
	Parallelism uint8  `toml:"parallelism"`
}

// KMS selects the key-encryption key that seals secrets at rest.
type KMS struct {
	Provider      string `toml:"provider"`
	MasterKeyFile string `toml:"master_key_file"`
	// MasterKey comes from the environment only (SECRETSD_MASTER_KEY): a key
	// belongs in a file of its own or in the process environment, never in
	// a configuration file that is copied around.
	MasterKey string `toml:"-"`
}

// Audit configures secretsd's audit trail (package audit/trail): where its
// chains, keys and index live, and the collectors it forwards to.
type Audit struct {
	Dir               string        `toml:"dir"`
	Writer            string        `toml:"writer"`
	SigningKey        string        `toml:"signing_key"`
	PseudonymKey      string        `toml:"pseudonym_key"`
	SubjectKeys       string        `toml:"subject_keys"`
	Index             string        `toml:"index"`
	QueueSize         int           `toml:"queue_size"`
	FailOpen          bool          `toml:"fail_open"`
	IndexInterval     time.Duration `toml:"index_interval"`
	RetentionInterval time.Duration `toml:"retention_interval"`
	// RetentionStandard and RetentionBreakGlass are retention.ParsePeriod
	// strings ("365d", "7y", "1y6m"): see RetentionPeriods.
	RetentionStandard   string `toml:"retention_standard"`
	RetentionBreakGlass string `toml:"retention_break_glass"`
	// Fields are "field=mode" items overriding pseudo.DefaultFields: see
	// FieldModes.
	Fields  []string       `toml:"fields"`
	Forward []AuditForward `toml:"forward"`
}

// AuditForward is one collector the trail is shipped to ([[audit.forward]]).
type AuditForward struct {
	Name  string `toml:"name"`
	Kind  string `toml:"kind"`
	URL   string `toml:"url"`
	Index string `toml:"index"`
	// Token comes from the environment only, SECRETSD_AUDIT_FORWARD_<NAME>_TOKEN
	// (see ForwardTokenEnv): a credential never sits in a copied file.
	Token string `toml:"-"`
}

// SigningKeyFile is [audit] signing_key, or <audit-keys>/<writer>.ed25519
// next to the pseudonym key when it is not set, so each writer (secretsd
// serve, secretsd bootstrap) gets its own checkpoint key by default.
func (a Audit) SigningKeyFile(writer string) string {
	if a.SigningKey != "" {
		return a.SigningKey
	}
	return filepath.Join(filepath.Dir(a.PseudonymKey), writer+".ed25519")
}

// ForwardCursorDir is where the forwarders keep their cursors: beside the
// index, in audit-forward/.
func (a Audit) ForwardCursorDir() string {
	return filepath.Join(filepath.Dir(a.Index), "audit-forward")
}

// Revocation configures the revocation feed for gateways without Redis.
type Revocation struct {
	FeedToken string `toml:"feed_token"`
}

// Log configures secretsd's own log.
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Default is the configuration with no file and no environment: one node on
// loopback, SQLite and the master key under ./.run, no Redis.
func Default() Config {
	return Config{
		Server: Server{
			Listen:            "127.0.0.1:8200",
			MaxBodyBytes:      64 << 10,
			ShutdownTimeout:   15 * time.Second,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			// Above the revocation feed's longest wait (30s), so a long
			// poll is never cut by the server's own deadline.
			WriteTimeout: 60 * time.Second,
			IdleTimeout:  2 * time.Minute,
		},
		Storage: Storage{Driver: "sqlite", Path: "./.run/secretsd.db"},
		Redis:   Redis{Mode: redisconn.ModeStandalone, KeyPrefix: "portcullis"},
		JWT: JWT{
			Issuer:      "https://portcullis.local",
			Audience:    []string{"portcullis-gateway"},
			Algorithm:   "RS256",
			AccessTTL:   15 * time.Minute,
			RefreshTTL:  7 * 24 * time.Hour,
			RotateEvery: 30 * 24 * time.Hour,
			ClientID:    "portcullis-cli",
		},
		MFA: MFA{
			Issuer:         "Portcullis",
			MaxAttempts:    5,
			AttemptWindow:  5 * time.Minute,
			ChallengeTTL:   5 * time.Minute,
			RequiredRoles:  []string{"Admin"},
			WebAuthnRPID:   "localhost",
			WebAuthnRPName: "Portcullis",
		},
		// 64 MiB, 2 passes, 1 lane: above OWASP's Password Storage Cheat
		// Sheet minimum for Argon2id (19 MiB, 2 passes, 1 lane).
		Password: Password{MemoryKiB: 64 << 10, Iterations: 2, Parallelism: 1},
		KMS:      KMS{Provider: "local", MasterKeyFile: "./.run/master.key"},
		Audit: Audit{
			Dir:               "./.run/audit",
			Writer:            DefaultWriter(),
			PseudonymKey:      "./.run/audit-keys/pseudonym.key",
			SubjectKeys:       "./.run/audit-keys/subjects.db",
			Index:             "./.run/audit-index.db",
			QueueSize:         65536,
			IndexInterval:     time.Second,
			RetentionInterval: 24 * time.Hour,
			// retention.DefaultPeriods, spelled out for --help.
			RetentionStandard:   "365d",
			RetentionBreakGlass: "7y",
			Forward:             []AuditForward{},
		},
		Log: Log{Level: "info", Format: "json"},
	}
}

// PublicBaseURL is where clients reach secretsd: [server] public_url, or
// http://<listen> when it is not set.
func (c Config) PublicBaseURL() string {
	if c.Server.PublicURL != "" {
		return c.Server.PublicURL
	}
	return "http://" + c.Server.Listen
}

// Origins are the WebAuthn origins: [mfa] webauthn_origins, or the public
// URL's when none is set.
func (c Config) Origins() []string {
	if len(c.MFA.WebAuthnOrigins) > 0 {
		return c.MFA.WebAuthnOrigins
	}
	return []string{c.PublicBaseURL()}
}

// Under returns a with every path moved under dir, keeping the default
// layout (dir/audit, dir/audit-keys/..., dir/audit-index.db): for tests,
// and for an operator who keeps the trail on its own volume.
func (a Audit) Under(dir string) Audit {
	a.Dir = filepath.Join(dir, "audit")
	a.PseudonymKey = filepath.Join(dir, "audit-keys", "pseudonym.key")
	a.SubjectKeys = filepath.Join(dir, "audit-keys", "subjects.db")
	a.Index = filepath.Join(dir, "audit-index.db")
	if a.SigningKey != "" {
		a.SigningKey = filepath.Join(dir, "audit-keys", filepath.Base(a.SigningKey))
	}
	return a
}
