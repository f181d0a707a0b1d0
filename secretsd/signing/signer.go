package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// es256Size is the length of r and of s in an ES256 signature: JWS encodes
// them as fixed-size big-endian integers, r||s (RFC 7518 §3.4).
const es256Size = 32

// signerFor returns the function that signs a JWS signing input with priv
// under alg, and the length of its signatures.
//
// RS256 and EdDSA go through jwx, which hands the key to the standard
// library as is. ES256 does not: jwx copies the *ecdsa.PrivateKey into a new
// value on every call, which defeats crypto/ecdsa's per-key cache of the
// precomputed key and makes every signature re-derive it; here the same
// pointer signs every time and only the DER-to-r||s re-encoding is ours.
func signerFor(alg string, priv crypto.Signer) (func([]byte) ([]byte, error), int, error) {
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if alg != RS256 {
			break
		}
		if p.N.BitLen() < rsaBits {
			return nil, 0, fmt.Errorf("the RSA key has %d bits, fewer than %d", p.N.BitLen(), rsaBits)
		}
		p.Precompute()
		return jwxSigner(jwa.RS256, p), p.Size(), nil
	case ed25519.PrivateKey:
		if alg != EdDSA {
			break
		}
		return jwxSigner(jwa.EdDSA, p), ed25519.SignatureSize, nil
	case *ecdsa.PrivateKey:
		if alg != ES256 {
			break
		}
		if p.Curve.Params().BitSize != 8*es256Size {
			return nil, 0, errors.New("the ECDSA key is not on P-256")
		}
		return func(input []byte) ([]byte, error) { return signES256(p, input) }, 2 * es256Size, nil
	}
	return nil, 0, fmt.Errorf("a %T cannot sign %s", priv, alg)
}

func jwxSigner(alg jwa.SignatureAlgorithm, key crypto.Signer) func([]byte) ([]byte, error) {
	s, err := jws.NewSigner(alg)
	if err != nil {
		return func([]byte) ([]byte, error) { return nil, err }
	}
	return func(input []byte) ([]byte, error) { return s.Sign(input, key) }
}

// signES256 signs with the standard library and re-encodes its ASN.1
// signature as JWS's r||s.
func signES256(priv *ecdsa.PrivateKey, input []byte) ([]byte, error) {
	digest := sha256.Sum256(input)
	der, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		return nil, err
	}
	var seq cryptobyte.String
	var r, s []byte
	in := cryptobyte.String(der)
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return nil, errors.New("ecdsa returned a malformed signature")
	}
	out := make([]byte, 2*es256Size)
	if !putFixed(out[:es256Size], r) || !putFixed(out[es256Size:], s) {
		return nil, errors.New("ecdsa returned a malformed signature")
	}
	return out, nil
}

// putFixed writes the unsigned big-endian integer v (minimal, as cryptobyte
// reads it) right-aligned into dst.
func putFixed(dst []byte, v []byte) bool {
	if len(v) > len(dst) {
		return false
	}
	copy(dst[len(dst)-len(v):], v)
	return true
}
