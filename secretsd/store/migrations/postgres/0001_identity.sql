-- Identity: users, second factors, sessions and their tokens, signing keys,
-- the revocation log, challenges, settings.
-- Times are TIMESTAMPTZ (microseconds); NULL is "never". devices.secret and
-- signing_keys.private_key hold ciphertext sealed by package kek.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	email         TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL,
	team          TEXT NOT NULL DEFAULT '',
	groups_json   TEXT NOT NULL DEFAULT '[]',
	disabled      BOOLEAN NOT NULL DEFAULT FALSE,
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE mfa_devices (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind          TEXT NOT NULL,
	name          TEXT NOT NULL,
	secret        BYTEA,
	credential_id BYTEA UNIQUE,
	confirmed     BOOLEAN NOT NULL DEFAULT FALSE,
	confirmed_at  TIMESTAMPTZ,
	last_step     BIGINT NOT NULL DEFAULT 0,
	sign_count    BIGINT NOT NULL DEFAULT 0,
	created_at    TIMESTAMPTZ NOT NULL,
	last_used_at  TIMESTAMPTZ,
	UNIQUE (user_id, name)
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id, created_at);

CREATE TABLE backup_codes (
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash       BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	used_at    TIMESTAMPTZ,
	PRIMARY KEY (user_id, hash)
);

CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id     TEXT NOT NULL DEFAULT '',
	auth_time     TIMESTAMPTZ NOT NULL,
	amr_json      TEXT NOT NULL DEFAULT '[]',
	acr           TEXT NOT NULL DEFAULT '',
	created_at    TIMESTAMPTZ NOT NULL,
	expires_at    TIMESTAMPTZ NOT NULL,
	revoked_at    TIMESTAMPTZ,
	revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE refresh_tokens (
	hash       BYTEA PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	issued_at  TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	used_at    TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hash         BYTEA NOT NULL UNIQUE,
	prefix       TEXT NOT NULL DEFAULT '',
	scopes_json  TEXT NOT NULL DEFAULT '[]',
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ,
	revoked_at   TIMESTAMPTZ
);
-- A name may be reused once the token that held it is revoked.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (user_id, name) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

CREATE TABLE signing_keys (
	id            TEXT PRIMARY KEY,
	algorithm     TEXT NOT NULL,
	private_key   BYTEA NOT NULL,
	public_key    BYTEA NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	retired_at    TIMESTAMPTZ,
	publish_until TIMESTAMPTZ
);

-- Appends are serialised (see AddRevocation) so that seq order is commit
-- order and a gateway polling "after seq" never skips an entry.
CREATE TABLE revocations (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	before_at  TIMESTAMPTZ,
	until_at   TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revocations_until ON revocations (until_at);

CREATE TABLE challenges (
	id         BYTEA PRIMARY KEY,
	user_id    TEXT NOT NULL DEFAULT '',
	purpose    TEXT NOT NULL,
	data       BYTEA,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX challenges_expires ON challenges (expires_at);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BYTEA NOT NULL
);
