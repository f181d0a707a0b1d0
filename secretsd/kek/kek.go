// Package kek holds secretsd's key-encryption key: what seals secrets at
// rest (TOTP seeds, signing private keys, WebAuthn credential records)
// before they reach the store. The embedded default is a local master key
// file; the KMS issue adds Vault Transit and AWS KMS behind the same
// interface.
package kek

import "context"

// Sealer encrypts and authenticates small secrets. aad binds a ciphertext to
// its place (e.g. "totp:<device id>") so that a sealed value copied into
// another row does not open there.
type Sealer interface {
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, ciphertext, aad []byte) ([]byte, error)
	// KeyID names the key that seals new values (never the key itself).
	KeyID() string
}
