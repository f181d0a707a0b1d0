// Package devtoken mints RFC 9068 access tokens with locally generated keys,
// for tests, benchmarks and the development walk-through until secretsd
// issues real ones. It is never imported by the gateway itself.
package devtoken

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Signer is a private signing key with its key id and algorithm.
type Signer struct {
	Key jwk.Key // private key, with kid and alg set
	Alg jwa.SignatureAlgorithm
}

// NewSigner generates a key for alg: RS256 or PS256 (RSA 2048), ES256 (P-256)
// or EdDSA (Ed25519).
func NewSigner(alg string) (*Signer, error) {
	var raw any
	var err error
	switch alg {
	case "RS256", "PS256":
		raw, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		raw, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, raw, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("devtoken: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, err
	}
	kid := make([]byte, 8)
	_, _ = rand.Read(kid)
	var a jwa.SignatureAlgorithm
	if err := a.Accept(alg); err != nil {
		return nil, err
	}
	_ = key.Set(jwk.KeyIDKey, alg+"-"+hex.EncodeToString(kid))
	_ = key.Set(jwk.AlgorithmKey, a)
	_ = key.Set(jwk.KeyUsageKey, "sig")
	return &Signer{Key: key, Alg: a}, nil
}

// KeyID is the signer's kid.
func (s *Signer) KeyID() string { return s.Key.KeyID() }

// Public returns the public half of the key, with kid, alg and use.
func (s *Signer) Public() (jwk.Key, error) { return s.Key.PublicKey() }

// JWKS returns the JSON Web Key Set (RFC 7517) of the signers' public keys.
func JWKS(signers ...*Signer) ([]byte, error) {
	set := jwk.NewSet()
	for _, s := range signers {
		pub, err := s.Public()
		if err != nil {
			return nil, err
		}
		if err := set.AddKey(pub); err != nil {
			return nil, err
		}
	}
	return json.Marshal(set)
}

// MarshalPrivate serialises the private key as a JWK, so a development setup
// can keep its key between runs.
func (s *Signer) MarshalPrivate() ([]byte, error) { return json.Marshal(s.Key) }

// LoadSigner reads a private JWK written by MarshalPrivate.
func LoadSigner(data []byte) (*Signer, error) {
	key, err := jwk.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("devtoken: parsing private key: %w", err)
	}
	alg, ok := key.Algorithm().(jwa.SignatureAlgorithm)
	if !ok || alg == "" {
		return nil, fmt.Errorf("devtoken: key has no signature algorithm")
	}
	return &Signer{Key: key, Alg: alg}, nil
}

// Claims describes a token to mint. Zero fields get development defaults.
type Claims struct {
	Issuer     string        // default "https://portcullis.local"
	Audience   []string      // default ["portcullis-gateway"]
	Subject    string        // default "user-1"
	ClientID   string        // default "portcullis-cli"
	TokenID    string        // default random
	SessionID  string        // default random
	TTL        time.Duration // default 15m
	AuthTime   time.Time     // default: now
	AMR        []string      // default ["pwd"]
	ACR        string        // optional
	Role       string        // default "Developer"
	Team       string        // default "platform"
	Groups     []string      // optional
	BreakGlass bool
	Extra      map[string]any // any other claims (may override the above)
}

// Default issuer and audience of development tokens.
const (
	DefaultIssuer   = "https://portcullis.local"
	DefaultAudience = "portcullis-gateway"
)

// Mint signs an access token with typ "at+jwt" (RFC 9068) issued at now.
func (s *Signer) Mint(c Claims, now time.Time) (string, error) {
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if len(c.Audience) == 0 {
		c.Audience = []string{DefaultAudience}
	}
	if c.Subject == "" {
		c.Subject = "user-1"
	}
	if c.ClientID == "" {
		c.ClientID = "portcullis-cli"
	}
	if c.TokenID == "" {
		c.TokenID = randomID()
	}
	if c.SessionID == "" {
		c.SessionID = randomID()
	}
	if c.TTL == 0 {
		c.TTL = 15 * time.Minute
	}
	if c.AuthTime.IsZero() {
		c.AuthTime = now
	}
	if len(c.AMR) == 0 {
		c.AMR = []string{"pwd"}
	}
	if c.Role == "" {
		c.Role = "Developer"
	}
	if c.Team == "" {
		c.Team = "platform"
	}
	b := jwt.NewBuilder().
		Issuer(c.Issuer).
		Audience(c.Audience).
		Subject(c.Subject).
		JwtID(c.TokenID).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(c.TTL)).
		Claim("client_id", c.ClientID).
		Claim("sid", c.SessionID).
		Claim("auth_time", c.AuthTime.Unix()).
		Claim("amr", c.AMR).
		Claim("role", c.Role).
		Claim("team", c.Team)
	if c.ACR != "" {
		b = b.Claim("acr", c.ACR)
	}
	if len(c.Groups) > 0 {
		b = b.Claim("groups", c.Groups)
	}
	if c.BreakGlass {
		b = b.Claim("break_glass", true)
	}
	for k, v := range c.Extra {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	return s.Sign(tok)
}

// Sign signs any token with typ "at+jwt" and the signer's kid.
func (s *Signer) Sign(tok jwt.Token) (string, error) {
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.TypeKey, "at+jwt")
	_ = hdr.Set(jws.KeyIDKey, s.KeyID())
	out, err := jwt.Sign(tok, jwt.WithKey(s.Alg, s.Key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", err
	}
	return string(out), nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
