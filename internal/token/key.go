package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// The signature algorithms the gateway can verify. RS256 is the one every
// issuer must support (RFC 7518 §3.1 "Recommended"); the others are opt-in
// per handler through its allow-list.
const (
	RS256 = "RS256"
	PS256 = "PS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// SupportedAlgorithms lists, in order of preference, the algorithms a
// handler may allow. It is the default allow-list.
var SupportedAlgorithms = []string{RS256, ES256, EdDSA, PS256}

// IsSupportedAlgorithm reports whether alg is one of SupportedAlgorithms.
func IsSupportedAlgorithm(alg string) bool { return slices.Contains(SupportedAlgorithms, alg) }

// minRSABits refuses keys too short to be safe (RFC 7518 §3.3 requires 2048).
const minRSABits = 2048

// Key is one public verification key of a set.
type Key struct {
	// ID is the key's kid ("" when the set's only key has none).
	ID string
	// Algorithm is the one algorithm this key verifies, from its "alg" member
	// or derived from its type: RSA→RS256, EC P-256→ES256, OKP Ed25519→EdDSA.
	Algorithm string

	public     any // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	verifier   jws.Verifier
	thumbprint []byte // RFC 7638, to recognise the same key across refreshes
}

func (k *Key) verify(signingInput, signature []byte) error {
	return k.verifier.Verify(signingInput, signature, k.public)
}

// KeySet is an immutable set of verification keys. It also serves as a
// static KeyProvider (for tests and fixed configurations).
type KeySet struct {
	byID map[string]*Key
	keys []*Key
}

// Len is the number of usable keys.
func (s *KeySet) Len() int { return len(s.keys) }

// Keys returns the usable keys.
func (s *KeySet) Keys() []*Key { return slices.Clone(s.keys) }

// Key returns the key a token with this kid must be verified with. A token
// without kid is only accepted when the set holds exactly one key, so that
// no verifier ever has to try keys in turn.
func (s *KeySet) Key(kid string) (*Key, error) {
	if kid == "" {
		if len(s.keys) == 1 {
			return s.keys[0], nil
		}
		return nil, fail(ErrUnknownKey, "token has no kid and the key set holds several keys")
	}
	if k, ok := s.byID[kid]; ok {
		return k, nil
	}
	return nil, fail(ErrUnknownKey, "no key with this kid")
}

// Has reports whether k is still part of the set.
func (s *KeySet) Has(k *Key) bool {
	if k.ID == "" {
		return len(s.keys) == 1 && s.keys[0] == k
	}
	return s.byID[k.ID] == k
}

// SkippedKey says why a key of a JWKS was left out of the set.
type SkippedKey struct {
	Index  int
	KeyID  string
	Reason string
}

func (s SkippedKey) String() string {
	return fmt.Sprintf("key #%d (kid %q): %s", s.Index, s.KeyID, s.Reason)
}

// ParseKeySet reads a JWKS (RFC 7517 §5). Keys that cannot verify tokens
// (encryption keys, symmetric keys, unsupported algorithms or curves, RSA
// below 2048 bits) are skipped and reported; a document that is not a JWKS,
// holds no usable key, or holds two usable keys with the same kid is an
// error. Keys equal to one in prev (same kid, algorithm and RFC 7638
// thumbprint) are reused, so that tokens cached as verified by them stay
// valid across a refresh that did not change them.
func ParseKeySet(data []byte, prev *KeySet) (*KeySet, []SkippedKey, error) {
	if err := checkDuplicateNames(data); err != nil {
		return nil, nil, fmt.Errorf("not a JSON web key set: %w", err)
	}
	set, err := jwk.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("not a JSON web key set: %w", err)
	}
	if set.Len() == 0 {
		return nil, nil, errors.New("the key set holds no keys")
	}
	out := &KeySet{byID: make(map[string]*Key, set.Len())}
	var skipped []SkippedKey
	for i := range set.Len() {
		raw, _ := set.Key(i)
		k, reason := newKey(raw)
		if reason != "" {
			skipped = append(skipped, SkippedKey{Index: i, KeyID: raw.KeyID(), Reason: reason})
			continue
		}
		if _, dup := out.byID[k.ID]; dup {
			return nil, skipped, fmt.Errorf("two signing keys have the kid %q", k.ID)
		}
		if prev != nil {
			if old, ok := prev.byID[k.ID]; ok && old.Algorithm == k.Algorithm && bytes.Equal(old.thumbprint, k.thumbprint) {
				k = old
			}
		}
		out.byID[k.ID] = k
		out.keys = append(out.keys, k)
	}
	if len(out.keys) == 0 {
		return nil, skipped, errors.New("the key set holds no usable signing key")
	}
	if len(out.keys) > 1 {
		if _, ok := out.byID[""]; ok {
			return nil, skipped, errors.New("a key without kid in a set of several keys could never be selected")
		}
	}
	return out, skipped, nil
}

// newKey checks one JWK and returns the verification key, or why it is not one.
func newKey(k jwk.Key) (*Key, string) {
	if use := k.KeyUsage(); use != "" && use != "sig" {
		return nil, fmt.Sprintf("use is %q, not sig", use)
	}
	if ops := k.KeyOps(); len(ops) > 0 && !slices.Contains(ops, jwk.KeyOpVerify) {
		return nil, "key_ops does not include verify"
	}
	if k.KeyType() == jwa.OctetSeq {
		return nil, "symmetric keys are never accepted"
	}
	pub, err := k.PublicKey()
	if err != nil {
		return nil, "no public key"
	}
	var raw any
	if err := pub.Raw(&raw); err != nil {
		return nil, "unreadable key material"
	}
	var derived string
	switch p := raw.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() < minRSABits {
			return nil, fmt.Sprintf("RSA key of %d bits is shorter than %d", p.N.BitLen(), minRSABits)
		}
		derived = RS256
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return nil, "only the P-256 curve is supported"
		}
		if !p.Curve.IsOnCurve(p.X, p.Y) {
			return nil, "point is not on the curve"
		}
		derived = ES256
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, "bad Ed25519 key length"
		}
		derived = EdDSA
	default:
		return nil, fmt.Sprintf("key type %s cannot verify signatures", k.KeyType())
	}
	alg := derived
	if a := k.Algorithm(); a != nil && a.String() != "" {
		alg = a.String()
		if !IsSupportedAlgorithm(alg) {
			return nil, fmt.Sprintf("algorithm %q is not supported", alg)
		}
		// PS256 is the only declared algorithm that differs from the derived
		// one while using the same key type.
		if alg != derived && !(alg == PS256 && derived == RS256) {
			return nil, fmt.Sprintf("algorithm %q does not fit the key type", alg)
		}
	}
	v, err := jws.NewVerifier(jwa.SignatureAlgorithm(alg))
	if err != nil {
		return nil, fmt.Sprintf("algorithm %q is not available", alg)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "cannot compute the key thumbprint"
	}
	return &Key{ID: k.KeyID(), Algorithm: alg, public: raw, verifier: v, thumbprint: tp}, ""
}

// Thumbprint is the key's RFC 7638 SHA-256 thumbprint, base64url-encoded.
func (k *Key) Thumbprint() string { return base64.RawURLEncoding.EncodeToString(k.thumbprint) }
