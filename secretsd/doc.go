// Package secretsd is the Portcullis control plane: the daemon that issues
// identities and tokens and serves the admin endpoints for secrets.
//
// Its services live in subpackages, each knowing nothing of HTTP:
//
//	store     SQLite (default) or PostgreSQL behind one interface, versioned migrations
//	kek       the key-encryption key that seals secrets at rest (local master key file;
//	          the KMS issue adds Vault and AWS KMS behind the same interface)
//	signing   access-token signing keys: issuance, rotation, the published JWKS
//	mfa       second factors: TOTP, WebAuthn, backup codes, the failed-attempt limiter
//	identity  users, passwords, login, sessions, refresh rotation, revocation, API tokens
//
// and the adapters over them:
//
//	config    the TOML file and its environment overrides
//	api       the REST API (net/http), one JSON error shape
//	server    wiring: store, services, HTTP server, metrics, health, graceful shutdown
//	client    the Go client of the REST API, used by the CLI and the end-to-end tests
package secretsd
