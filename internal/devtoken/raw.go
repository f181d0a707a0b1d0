package devtoken

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// The helpers below build tokens byte by byte, for tests that need exactly
// the header and claims an attacker would send (duplicate members, wrong
// types, forbidden headers, algorithms that do not match the key).

// Segment base64url-encodes b without padding, as JWS compact serialization does.
func Segment(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// SignJSON signs exactly the given header and payload bytes with the
// signer's private key under alg, which may differ from the key's own
// algorithm (e.g. PS256 with an RS256 key).
func (s *Signer) SignJSON(alg string, header, payload []byte) (string, error) {
	input := Segment(header) + "." + Segment(payload)
	signer, err := jws.NewSigner(jwa.SignatureAlgorithm(alg))
	if err != nil {
		return "", fmt.Errorf("devtoken: %w", err)
	}
	var raw any
	if err := s.Key.Raw(&raw); err != nil {
		return "", err
	}
	sig, err := signer.Sign([]byte(input), raw)
	if err != nil {
		return "", fmt.Errorf("devtoken: signing with %s: %w", alg, err)
	}
	return input + "." + Segment(sig), nil
}

// SignMaps is SignJSON with the header and claims given as maps.
func (s *Signer) SignMaps(alg string, header, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return s.SignJSON(alg, h, p)
}

// SignHMAC builds an HS256/HS384/HS512 token with secret as the key, as an
// attacker who uses a public key as an HMAC secret would.
func SignHMAC(alg string, secret, header, payload []byte) (string, error) {
	input := Segment(header) + "." + Segment(payload)
	signer, err := jws.NewSigner(jwa.SignatureAlgorithm(alg))
	if err != nil {
		return "", fmt.Errorf("devtoken: %w", err)
	}
	sig, err := signer.Sign([]byte(input), secret)
	if err != nil {
		return "", err
	}
	return input + "." + Segment(sig), nil
}

// Header is the header Mint would write: typ at+jwt, the signer's kid and alg.
func (s *Signer) Header() map[string]any {
	return map[string]any{"alg": s.Alg.String(), "kid": s.KeyID(), "typ": "at+jwt"}
}

// ClaimSet returns the claims Mint would sign for c at now, as a map that a
// test may change before signing it with SignMaps.
func (s *Signer) ClaimSet(c Claims, now time.Time) (map[string]any, error) {
	tok, err := s.Mint(c, now)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}
