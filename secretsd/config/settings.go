package config

import "strings"

// Setting is one configuration key: where it lives in the file, its
// environment variable and its help line. The table below is the only list
// of keys; the environment overrides and the help are generated from it, and
// a test checks that every field of Config has exactly one entry.
type Setting struct {
	Section string // TOML table, e.g. "server"
	Key     string // TOML key, e.g. "listen"; "" for an environment-only setting
	// EnvName overrides the derived SECRETSD_<SECTION>_<KEY>.
	EnvName string
	Help    string
	// Secret settings never have their value printed (help shows no default).
	Secret bool
	// field returns a pointer to the setting's field in c.
	field func(c *Config) any
}

// Env is the environment variable that overrides the setting.
func (s Setting) Env() string {
	if s.EnvName != "" {
		return s.EnvName
	}
	return "SECRETSD_" + strings.ToUpper(s.Section) + "_" + strings.ToUpper(s.Key)
}

// Name is "section.key" (or the environment variable of an env-only setting).
func (s Setting) Name() string {
	if s.Key == "" {
		return s.Env()
	}
	return s.Section + "." + s.Key
}

// FileKey reports whether the setting may appear in the file.
func (s Setting) FileKey() bool { return s.Key != "" }

// Field returns a pointer to the setting's field in c (*string, *[]string,
// *time.Duration, *int, *int64, *uint32, *uint8 or *bool).
func (s Setting) Field(c *Config) any { return s.field(c) }

// ConfigEnv names the environment variable that gives the config file when
// --config is not used.
const ConfigEnv = "SECRETSD_CONFIG"

// Sections lists the TOML tables in the order help shows them.
var Sections = []string{"server", "storage", "redis", "jwt", "mfa", "password", "kms", "audit", "revocation", "log"}

// Settings returns the table of every setting, in help order.
func Settings() []Setting { return settings }

var settings = []Setting{
	// [server]
	{Section: "server", Key: "listen", Help: "host:port the HTTP API listens on",
		field: func(c *Config) any { return &c.Server.Listen }},
	{Section: "server", Key: "public_url", Help: `URL clients reach secretsd at (default "http://" + listen); also the default WebAuthn origin`,
		field: func(c *Config) any { return &c.Server.PublicURL }},
	{Section: "server", Key: "max_body_bytes", Help: "largest request body accepted; larger ones get 413 body_too_large",
		field: func(c *Config) any { return &c.Server.MaxBodyBytes }},
	{Section: "server", Key: "shutdown_timeout", Help: "on SIGINT/SIGTERM, how long in-flight requests may take to finish",
		field: func(c *Config) any { return &c.Server.ShutdownTimeout }},
	{Section: "server", Key: "read_header_timeout", Help: "time allowed to read a request's headers",
		field: func(c *Config) any { return &c.Server.ReadHeaderTimeout }},
	{Section: "server", Key: "read_timeout", Help: "time allowed to read a whole request",
		field: func(c *Config) any { return &c.Server.ReadTimeout }},
	{Section: "server", Key: "write_timeout", Help: "time allowed to write a response; keep it above 30s, the revocation feed's longest wait",
		field: func(c *Config) any { return &c.Server.WriteTimeout }},
	{Section: "server", Key: "idle_timeout", Help: "how long an idle keep-alive connection stays open",
		field: func(c *Config) any { return &c.Server.IdleTimeout }},

	// [storage]
	{Section: "storage", Key: "driver", Help: `"sqlite" (embedded, one node) or "postgres" (several nodes)`,
		field: func(c *Config) any { return &c.Storage.Driver }},
	{Section: "storage", Key: "path", Help: "SQLite database file, created 0600; relative to the config file's folder when set there",
		field: func(c *Config) any { return &c.Storage.Path }},
	{Section: "storage", Key: "dsn", Help: "PostgreSQL connection string (URL or key=value); its password is never logged", Secret: true,
		field: func(c *Config) any { return &c.Storage.DSN }},
	{Section: "storage", Key: "schema", Help: "PostgreSQL schema for secretsd's tables, created when absent (default: the search_path's)",
		field: func(c *Config) any { return &c.Storage.Schema }},
	{Section: "storage", Key: "max_open_conns", Help: "connection pool size (0: 8 for sqlite, 16 for postgres)",
		field: func(c *Config) any { return &c.Storage.MaxOpenConns }},

	// [redis]
	{Section: "redis", Key: "url", Help: "redis:// or rediss:// URL shared with the gateway; empty: no Redis, everything on this node", Secret: true,
		field: func(c *Config) any { return &c.Redis.URL }},
	{Section: "redis", Key: "mode", Help: `"standalone", "cluster" (url lists more nodes with addr=) or "sentinel" (url names a sentinel, others with addr=, the primary with master_name=)`,
		field: func(c *Config) any { return &c.Redis.Mode }},
	{Section: "redis", Key: "key_prefix", Help: "prefix of the Redis keys secretsd writes (revocations); must match the gateway's",
		field: func(c *Config) any { return &c.Redis.KeyPrefix }},

	// [jwt]
	{Section: "jwt", Key: "issuer", Help: "iss of access tokens; the gateway's jwt_auth must expect the same",
		field: func(c *Config) any { return &c.JWT.Issuer }},
	{Section: "jwt", Key: "audience", Help: "aud of access tokens (list)",
		field: func(c *Config) any { return &c.JWT.Audience }},
	{Section: "jwt", Key: "algorithm", Help: "signing algorithm of new keys: RS256, ES256 or EdDSA",
		field: func(c *Config) any { return &c.JWT.Algorithm }},
	{Section: "jwt", Key: "access_ttl", Help: "lifetime of access tokens",
		field: func(c *Config) any { return &c.JWT.AccessTTL }},
	{Section: "jwt", Key: "refresh_ttl", Help: "lifetime of a session's refresh tokens",
		field: func(c *Config) any { return &c.JWT.RefreshTTL }},
	{Section: "jwt", Key: "rotate_every", Help: `age at which the signing key is replaced; "0s": only on command (POST /v1/keys/rotate)`,
		field: func(c *Config) any { return &c.JWT.RotateEvery }},
	{Section: "jwt", Key: "client_id", Help: "client_id claim of tokens from a password login",
		field: func(c *Config) any { return &c.JWT.ClientID }},

	// [mfa]
	{Section: "mfa", Key: "issuer", Help: "TOTP issuer shown by authenticator apps",
		field: func(c *Config) any { return &c.MFA.Issuer }},
	{Section: "mfa", Key: "max_attempts", Help: "failed second-factor attempts per user within attempt_window before 429",
		field: func(c *Config) any { return &c.MFA.MaxAttempts }},
	{Section: "mfa", Key: "attempt_window", Help: "window of max_attempts",
		field: func(c *Config) any { return &c.MFA.AttemptWindow }},
	{Section: "mfa", Key: "challenge_ttl", Help: "lifetime of an MFA challenge (mfa_token)",
		field: func(c *Config) any { return &c.MFA.ChallengeTTL }},
	{Section: "mfa", Key: "required_roles", Help: "roles that must keep a second factor (list of Admin, Operator, Developer, Auditor, Viewer)",
		field: func(c *Config) any { return &c.MFA.RequiredRoles }},
	{Section: "mfa", Key: "webauthn_rp_id", Help: "WebAuthn relying party id: the domain users see",
		field: func(c *Config) any { return &c.MFA.WebAuthnRPID }},
	{Section: "mfa", Key: "webauthn_rp_name", Help: "WebAuthn relying party display name",
		field: func(c *Config) any { return &c.MFA.WebAuthnRPName }},
	{Section: "mfa", Key: "webauthn_origins", Help: "origins WebAuthn ceremonies may come from (list; default: public_url)",
		field: func(c *Config) any { return &c.MFA.WebAuthnOrigins }},

	// [password]
	{Section: "password", Key: "memory_kib", Help: "Argon2id memory in KiB (OWASP minimum: 19456 with 2 iterations)",
		field: func(c *Config) any { return &c.Password.MemoryKiB }},
	{Section: "password", Key: "iterations", Help: "Argon2id passes over memory",
		field: func(c *Config) any { return &c.Password.Iterations }},
	{Section: "password", Key: "parallelism", Help: "Argon2id lanes",
		field: func(c *Config) any { return &c.Password.Parallelism }},

	// [kms]
	{Section: "kms", Key: "provider", Help: `key-encryption key provider: "local" (a master key file); Vault and AWS KMS come with the KMS service`,
		field: func(c *Config) any { return &c.KMS.Provider }},
	{Section: "kms", Key: "master_key_file", Help: "local master key, created 0600 on first start; relative to the config file's folder when set there",
		field: func(c *Config) any { return &c.KMS.MasterKeyFile }},
	{Section: "kms", EnvName: "SECRETSD_MASTER_KEY", Help: "the local master key itself (environment only; then master_key_file is not read)", Secret: true,
		field: func(c *Config) any { return &c.KMS.MasterKey }},

	// [audit]
	{Section: "audit", Key: "dir", Help: "root of the audit trail (hash-chained JSON Lines); the gateway's audit handler may share it",
		field: func(c *Config) any { return &c.Audit.Dir }},
	{Section: "audit", Key: "writer", Help: `this process's chains under dir: [a-z0-9][a-z0-9._-]{0,63}, unique per process (default "secretsd-" + host name)`,
		field: func(c *Config) any { return &c.Audit.Writer }},
	{Section: "audit", Key: "signing_key", Help: "Ed25519 key (PKCS#8 PEM) that signs checkpoints, created 0600 on first start (default: <writer>.ed25519 beside pseudonym_key)",
		field: func(c *Config) any { return &c.Audit.SigningKey }},
	{Section: "audit", Key: "pseudonym_key", Help: "HMAC key of user and address pseudonyms, created 0600 on first start; the gateway must use the same file so pseudonyms agree",
		field: func(c *Config) any { return &c.Audit.PseudonymKey }},
	{Section: "audit", Key: "subject_keys", Help: "SQLite file of per-user keys that seal personal values (deleting one erases that user's data)",
		field: func(c *Config) any { return &c.Audit.SubjectKeys }},
	{Section: "audit", Key: "index", Help: "SQLite index that serves GET /v1/audit/events; rebuilt from dir when deleted",
		field: func(c *Config) any { return &c.Audit.Index }},
	{Section: "audit", Key: "queue_size", Help: "events waiting to be written before the queue is full",
		field: func(c *Config) any { return &c.Audit.QueueSize }},
	{Section: "audit", Key: "fail_open", Help: "when the queue is full, drop events (counted in a metric) instead of refusing them",
		field: func(c *Config) any { return &c.Audit.FailOpen }},
	{Section: "audit", Key: "index_interval", Help: "how often the index reads what was appended to the trail",
		field: func(c *Config) any { return &c.Audit.IndexInterval }},
	{Section: "audit", Key: "retention_interval", Help: "how often expired segments are deleted (legal holds are honoured)",
		field: func(c *Config) any { return &c.Audit.RetentionInterval }},
	{Section: "audit", Key: "retention_standard", Help: `how long standard events are kept, by calendar date: a number and y (years), m (months) or d (days), combined in that order ("365d", "18m", "1y6m")`,
		field: func(c *Config) any { return &c.Audit.RetentionStandard }},
	{Section: "audit", Key: "retention_break_glass", Help: `how long break-glass events are kept, by calendar date ("7y"), in the form of retention_standard`,
		field: func(c *Config) any { return &c.Audit.RetentionBreakGlass }},
	{Section: "audit", Key: "fields", Help: `pseudonymisation per field before events are written (list of "field=mode"): fields user.id, user.name, user.email, source.ip, source.address; ` +
		`modes pseudonymise (keyed HMAC), truncate (/24, /48 plus a keyed hash; addresses only), keep, drop; fields not named stay at the default: ` +
		`user.* pseudonymise, source.* truncate. The gateway's audit block must say the same so both programs write alike`,
		field: func(c *Config) any { return &c.Audit.Fields }},
	{Section: "audit", Key: "forward", Help: `collectors to ship the trail to: [[audit.forward]] tables of name, kind ("splunk_hec" or "elasticsearch"), url and index; ` +
		`in the environment "name kind url [index]; ..."; each token from SECRETSD_AUDIT_FORWARD_<NAME>_TOKEN only`,
		field: func(c *Config) any { return &c.Audit.Forward }},

	// [revocation]
	{Section: "revocation", Key: "feed_token", Help: "bearer token gateways must present to GET /v1/revocations (at least 16 characters); empty: open", Secret: true,
		field: func(c *Config) any { return &c.Revocation.FeedToken }},

	// [log]
	{Section: "log", Key: "level", Help: "debug, info, warn or error",
		field: func(c *Config) any { return &c.Log.Level }},
	{Section: "log", Key: "format", Help: `"json" or "console" (human-readable)`,
		field: func(c *Config) any { return &c.Log.Format }},
}

// lookupSetting finds a setting by its "section.key" name.
func lookupSetting(name string) (Setting, bool) {
	for _, s := range settings {
		if s.Name() == name {
			return s, true
		}
	}
	return Setting{}, false
}
