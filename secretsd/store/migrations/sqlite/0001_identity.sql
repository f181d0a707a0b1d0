-- Identity: users, second factors, sessions and their tokens, signing keys,
-- the revocation log, challenges, settings.
-- Times are INTEGER microseconds since the Unix epoch, UTC; NULL is "never".
-- devices.secret and signing_keys.private_key hold ciphertext sealed by
-- package kek.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	email         TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL,
	team          TEXT NOT NULL DEFAULT '',
	groups_json   TEXT NOT NULL DEFAULT '[]',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

CREATE TABLE mfa_devices (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind          TEXT NOT NULL,
	name          TEXT NOT NULL,
	secret        BLOB,
	credential_id BLOB UNIQUE,
	confirmed     INTEGER NOT NULL DEFAULT 0,
	confirmed_at  INTEGER,
	last_step     INTEGER NOT NULL DEFAULT 0,
	sign_count    INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER,
	UNIQUE (user_id, name)
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id, created_at);

CREATE TABLE backup_codes (
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash       BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	used_at    INTEGER,
	PRIMARY KEY (user_id, hash)
);

CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id     TEXT NOT NULL DEFAULT '',
	auth_time     INTEGER NOT NULL,
	amr_json      TEXT NOT NULL DEFAULT '[]',
	acr           TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	revoked_at    INTEGER,
	revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE refresh_tokens (
	hash       BLOB PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	issued_at  INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hash         BLOB NOT NULL UNIQUE,
	prefix       TEXT NOT NULL DEFAULT '',
	scopes_json  TEXT NOT NULL DEFAULT '[]',
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
);
-- A name may be reused once the token that held it is revoked.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (user_id, name) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

CREATE TABLE signing_keys (
	id            TEXT PRIMARY KEY,
	algorithm     TEXT NOT NULL,
	private_key   BLOB NOT NULL,
	public_key    BLOB NOT NULL,
	created_at    INTEGER NOT NULL,
	retired_at    INTEGER,
	publish_until INTEGER
);

-- seq is AUTOINCREMENT so that a sequence number is never reused after the
-- newest entries are pruned: gateways poll with "after seq".
CREATE TABLE revocations (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	before_at  INTEGER,
	until_at   INTEGER,
	created_at INTEGER NOT NULL
);
CREATE INDEX revocations_until ON revocations (until_at);

CREATE TABLE challenges (
	id         BLOB PRIMARY KEY,
	user_id    TEXT NOT NULL DEFAULT '',
	purpose    TEXT NOT NULL,
	data       BLOB,
	expires_at INTEGER NOT NULL
);
CREATE INDEX challenges_expires ON challenges (expires_at);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
