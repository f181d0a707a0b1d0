package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/portcullis/portcullis/secretsd/store"
)

// rsaBits is the RSA modulus size: RFC 7518 §3.3 requires at least 2048.
const rsaBits = 2048

// generateKey makes a fresh private key for alg with the standard library.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("algorithm %q is not supported", alg)
}

// privateKeyAAD binds a sealed private key to its kid, so that a sealed key
// copied into another row does not open there.
func privateKeyAAD(kid string) []byte { return []byte("signing-key:" + kid) }

// newStoredKey generates a key for alg and returns it as the store keeps it:
// the private JWK sealed, the public JWK in clear. The kid is the key's
// RFC 7638 SHA-256 thumbprint, unique without coordination between nodes.
func (k *Keyring) newStoredKey(ctx context.Context, alg string, now time.Time) (store.SigningKey, error) {
	raw, err := generateKey(alg)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("generating a %s key: %w", alg, err)
	}
	priv, err := jwk.FromRaw(raw)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encoding the %s key as a JWK: %w", alg, err)
	}
	tp, err := priv.Thumbprint(crypto.SHA256)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("computing the key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	for name, v := range map[string]any{jwk.KeyIDKey: kid, jwk.AlgorithmKey: jwa.SignatureAlgorithm(alg), jwk.KeyUsageKey: "sig"} {
		if err := priv.Set(name, v); err != nil {
			return store.SigningKey{}, fmt.Errorf("setting %s on the JWK: %w", name, err)
		}
	}
	pub, err := priv.PublicKey()
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("deriving the public JWK: %w", err)
	}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encoding the public JWK: %w", err)
	}
	privJSON, err := json.Marshal(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encoding the private JWK: %w", err)
	}
	sealed, err := k.sealer.Seal(ctx, privJSON, privateKeyAAD(kid))
	clear(privJSON)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("sealing the private key %s: %w", kid, err)
	}
	return store.SigningKey{
		ID:        kid,
		Algorithm: alg,
		Private:   sealed,
		Public:    pubJSON,
		CreatedAt: now,
	}, nil
}
