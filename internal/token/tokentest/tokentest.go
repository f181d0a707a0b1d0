// Package tokentest holds the token fixtures that the verifier's tests and
// the jwt_auth integration tests share: a key set with one key per supported
// algorithm, and the table of hostile tokens every verifier must refuse.
// It is imported only by tests.
package tokentest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/token"
)

// Issuer and Audience the fixture's tokens are minted for.
const (
	Issuer   = devtoken.DefaultIssuer
	Audience = devtoken.DefaultAudience
)

// Fixture is a key set and the signers behind it.
type Fixture struct {
	RSA, EC, Ed, PS *devtoken.Signer
	// Impostor is another RSA key published nowhere but carrying RSA's kid.
	Impostor *devtoken.Signer
	// Stranger is an RSA key with its own kid, published nowhere.
	Stranger *devtoken.Signer
	// JWKS is the public set of RSA, EC, Ed and PS.
	JWKS []byte
}

// NewFixture generates the keys.
func NewFixture() (*Fixture, error) {
	f := new(Fixture)
	for _, p := range []struct {
		dst **devtoken.Signer
		alg string
	}{{&f.RSA, "RS256"}, {&f.EC, "ES256"}, {&f.Ed, "EdDSA"}, {&f.PS, "PS256"}, {&f.Impostor, "RS256"}, {&f.Stranger, "RS256"}} {
		s, err := devtoken.NewSigner(p.alg)
		if err != nil {
			return nil, err
		}
		*p.dst = s
	}
	if err := f.Impostor.Key.Set(jwk.KeyIDKey, f.RSA.KeyID()); err != nil {
		return nil, err
	}
	var err error
	f.JWKS, err = devtoken.JWKS(f.RSA, f.EC, f.Ed, f.PS)
	return f, err
}

// Signers are the published signers, one per supported algorithm.
func (f *Fixture) Signers() []*devtoken.Signer { return []*devtoken.Signer{f.RSA, f.EC, f.Ed, f.PS} }

// Mint mints a valid token with s at now.
func Mint(s *devtoken.Signer, now time.Time) string {
	tok, err := s.Mint(devtoken.Claims{}, now)
	if err != nil {
		panic(err)
	}
	return tok
}

// Case is one hostile token and the kind of error it must be refused with.
type Case struct {
	Name  string
	Token string
	Want  error
}

// Hostile returns the tokens a verifier configured with the fixture's key
// set, Issuer, Audience, all four algorithms, typ at+jwt required and a leeway
// of at most one minute must refuse. now is the verifier's time.
func (f *Fixture) Hostile(now time.Time) ([]Case, error) {
	b := &builder{f: f, now: now}
	valid := Mint(f.RSA, now)
	parts := strings.Split(valid, ".")
	rsaPub, err := f.RSA.Public()
	if err != nil {
		return nil, err
	}
	var rsaRaw any
	_ = rsaPub.Raw(&rsaRaw)
	der, _ := x509.MarshalPKIXPublicKey(rsaRaw)
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	rsaJWK, _ := json.Marshal(rsaPub)
	strangerPub, _ := f.Stranger.Public()
	strangerJWK, _ := json.Marshal(strangerPub)

	flip := func(s string) string { // flip one bit of the last signature byte
		raw := []byte(s)
		i := len(raw) - 2
		if raw[i] == 'A' {
			raw[i] = 'B'
		} else {
			raw[i] = 'A'
		}
		return string(raw)
	}
	minute := time.Minute.Seconds()
	hour := time.Hour.Seconds()
	unix := float64(now.Unix())

	cases := []Case{
		{"empty token is rejected", "", token.ErrMalformed},
		{"a single segment is rejected", "eyJhbGciOiJSUzI1NiJ9", token.ErrMalformed},
		{"two dots only is rejected", "..", token.ErrMalformed},
		{"two segments without signature part is rejected", parts[0] + "." + parts[1], token.ErrMalformed},
		{"unsigned token (empty signature) is rejected", parts[0] + "." + parts[1] + ".", token.ErrSignature},
		{"four segments are rejected", valid + ".AAAA", token.ErrMalformed},
		{"JWE compact serialization (5 parts) is rejected",
			devtoken.Segment([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"`+f.RSA.KeyID()+`"}`)) + ".AAAA.AAAA.AAAA.AAAA", token.ErrEncrypted},
		{"non-base64 header is rejected", "!!!." + parts[1] + "." + parts[2], token.ErrMalformed},
		{"non-base64 signature is rejected", parts[0] + "." + parts[1] + ".***", token.ErrMalformed},
		{"padded base64 header is rejected", parts[0] + "==." + parts[1] + "." + parts[2], token.ErrMalformed},
		{"header that is not JSON is rejected", devtoken.Segment([]byte("not json")) + "." + parts[1] + "." + parts[2], token.ErrMalformed},
		{"header that is a JSON array is rejected", devtoken.Segment([]byte(`["RS256"]`)) + "." + parts[1] + "." + parts[2], token.ErrMalformed},
		{"header without alg is rejected", b.json(f.RSA, "RS256", `{"kid":"`+f.RSA.KeyID()+`","typ":"at+jwt"}`, ""), token.ErrMalformed},
		{"payload that is not JSON is rejected (even when signed)", b.rawSigned(f.RSA, "RS256", f.RSA.Header(), []byte("not json")), token.ErrMalformed},
		{"payload that is JSON null is rejected", b.rawSigned(f.RSA, "RS256", f.RSA.Header(), []byte("null")), token.ErrMalformed},
		{"trailing garbage after the claims is rejected", b.rawSigned(f.RSA, "RS256", f.RSA.Header(), append(b.claimsJSON(nil), " x"...)), token.ErrMalformed},

		{"alg none is rejected", b.unsigned(map[string]any{"alg": "none", "typ": "at+jwt"}), token.ErrSignature},
		{"alg none with a bogus signature is rejected", b.unsigned(map[string]any{"alg": "none", "typ": "at+jwt", "kid": f.RSA.KeyID()}) + "AAAA", token.ErrAlgorithm},
		{"alg nOnE in mixed case is rejected", b.unsigned(map[string]any{"alg": "nOnE", "typ": "at+jwt", "kid": f.RSA.KeyID()}) + "AAAA", token.ErrAlgorithm},
		{"HS256 signed with the RSA public key (PEM) as secret is rejected", b.hmac("HS256", rsaPEM), token.ErrAlgorithm},
		{"HS256 signed with the RSA public JWK as secret is rejected", b.hmac("HS256", rsaJWK), token.ErrAlgorithm},
		{"HS384 is rejected", b.hmac("HS384", rsaPEM), token.ErrAlgorithm},
		{"HS512 is rejected", b.hmac("HS512", rsaPEM), token.ErrAlgorithm},
		{"RS384 (not allowed) is rejected", b.maps(f.RSA, "RS384", b.hdr(f.RSA, "alg", "RS384"), nil), token.ErrAlgorithm},
		{"token header alg RS256 but key is ES256", b.maps(f.Impostor, "RS256", b.hdr(f.EC, "alg", "RS256"), nil), token.ErrAlgorithm},
		{"token header alg PS256 but key is RS256 (valid PSS signature by that key)", b.maps(f.RSA, "PS256", b.hdr(f.RSA, "alg", "PS256"), nil), token.ErrAlgorithm},
		{"token header alg RS256 but key is PS256 (valid PKCS#1 signature by that key)", b.maps(f.PS, "RS256", b.hdr(f.PS, "alg", "RS256"), nil), token.ErrAlgorithm},
		{"token header alg ES256 but key is EdDSA", b.maps(f.EC, "ES256", b.hdr(f.Ed, "alg", "ES256"), nil), token.ErrAlgorithm},
		{"alg as a number is rejected", b.json(f.RSA, "RS256", `{"alg":256,"kid":"`+f.RSA.KeyID()+`","typ":"at+jwt"}`, ""), token.ErrMalformed},

		{"embedded jwk header is rejected", b.maps(f.Stranger, "RS256", b.hdr(f.Stranger, "jwk", json.RawMessage(strangerJWK)), nil), token.ErrForbiddenHeader},
		{"jku header is rejected", b.maps(f.Stranger, "RS256", b.hdr(f.Stranger, "jku", "https://attacker.example/jwks.json"), nil), token.ErrForbiddenHeader},
		{"x5u header is rejected", b.maps(f.RSA, "RS256", b.hdr(f.RSA, "x5u", "https://attacker.example/cert.pem"), nil), token.ErrForbiddenHeader},
		{"x5c header is rejected", b.maps(f.RSA, "RS256", b.hdr(f.RSA, "x5c", []string{"MIIB"}), nil), token.ErrForbiddenHeader},
		{"unknown crit is rejected", b.maps(f.RSA, "RS256", b.hdr(f.RSA, "crit", []string{"urn:example:ext"}, "urn:example:ext", true), nil), token.ErrForbiddenHeader},
		{"crit b64 false (unencoded payload) is rejected", b.maps(f.RSA, "RS256", b.hdr(f.RSA, "crit", []string{"b64"}, "b64", false), nil), token.ErrForbiddenHeader},
		{"cty JWT (nested token) is rejected", b.maps(f.RSA, "RS256", b.hdr(f.RSA, "cty", "JWT"), nil), token.ErrForbiddenHeader},
		{"duplicate alg header is rejected", b.json(f.RSA, "RS256", `{"alg":"RS256","alg":"none","kid":"`+f.RSA.KeyID()+`","typ":"at+jwt"}`, ""), token.ErrMalformed},

		{"typ JWT when at+jwt required is rejected", b.maps(f.RSA, "RS256", b.hdr(f.RSA, "typ", "JWT"), nil), token.ErrType},
		{"missing typ when at+jwt required is rejected", b.maps(f.RSA, "RS256", without(f.RSA.Header(), "typ"), nil), token.ErrType},

		{"unknown kid is rejected", b.maps(f.Stranger, "RS256", f.Stranger.Header(), nil), token.ErrUnknownKey},
		{"no kid when the set has several keys is rejected", b.maps(f.RSA, "RS256", without(f.RSA.Header(), "kid"), nil), token.ErrUnknownKey},
		{"kid as a number is rejected", b.json(f.RSA, "RS256", `{"alg":"RS256","kid":1,"typ":"at+jwt"}`, ""), token.ErrMalformed},
		{"signature from another key with same kid is rejected", Mint(f.Impostor, now), token.ErrSignature},
		{"truncated signature is rejected", valid[:len(valid)-10], token.ErrSignature},
		{"signature with a flipped bit is rejected", flip(valid), token.ErrSignature},
		{"ES256 signature in ASN.1 DER instead of r||s is rejected", b.ecdsaDER(), token.ErrSignature},
		{"payload swapped from another token is rejected", parts[0] + "." + strings.Split(Mint(f.RSA, now), ".")[1] + "." + parts[2], token.ErrSignature},
		{"role raised to Admin after signing is rejected", parts[0] + "." + devtoken.Segment(b.claimsJSON(map[string]any{"role": "Admin"})) + "." + parts[2], token.ErrSignature},

		{"expired beyond leeway is rejected", b.claims(map[string]any{"exp": unix - 2*minute, "iat": unix - hour, "nbf": unix - hour}), token.ErrExpired},
		{"nbf in future beyond leeway is rejected", b.claims(map[string]any{"nbf": unix + 5*minute}), token.ErrNotYetValid},
		{"iat in future beyond leeway is rejected", b.claims(map[string]any{"iat": unix + 5*minute, "nbf": unix}), token.ErrIssuedInFuture},
		{"missing sub is rejected", b.claims(map[string]any{"sub": nil}), token.ErrClaims},
		{"empty sub is rejected", b.claims(map[string]any{"sub": ""}), token.ErrClaims},
		{"missing jti is rejected", b.claims(map[string]any{"jti": nil}), token.ErrClaims},
		{"missing exp is rejected", b.claims(map[string]any{"exp": nil}), token.ErrClaims},
		{"missing iat is rejected", b.claims(map[string]any{"iat": nil}), token.ErrClaims},
		{"missing iss is rejected", b.claims(map[string]any{"iss": nil}), token.ErrClaims},
		{"missing aud is rejected", b.claims(map[string]any{"aud": nil}), token.ErrClaims},
		{"wrong iss is rejected", b.claims(map[string]any{"iss": "https://attacker.example"}), token.ErrIssuer},
		{"wrong aud is rejected", b.claims(map[string]any{"aud": []string{"another-api"}}), token.ErrAudience},
		{"aud as a number is rejected", b.claims(map[string]any{"aud": 42}), token.ErrClaims},
		{"exp as string is rejected", b.claims(map[string]any{"exp": fmt.Sprint(int64(unix + hour))}), token.ErrClaims},
		{"exp null is rejected", b.json(f.RSA, "RS256", "", `{"exp":null}`), token.ErrClaims},
		{"exp beyond year 9999 is rejected", b.claims(map[string]any{"exp": 1e300}), token.ErrClaims},
		{"sub as number is rejected", b.claims(map[string]any{"sub": 7}), token.ErrClaims},
		{"amr as a string is rejected", b.claims(map[string]any{"amr": "otp"}), token.ErrClaims},
		{"groups with a number is rejected", b.claims(map[string]any{"groups": []any{"ops", 1}}), token.ErrClaims},
		{"break_glass as string is rejected", b.claims(map[string]any{"break_glass": "true"}), token.ErrClaims},
		{"duplicate exp claim is rejected", b.dupClaim(`"exp":` + fmt.Sprint(int64(unix-hour))), token.ErrMalformed},
		{"duplicate sub via a unicode escape is rejected", b.dupClaim(`"\u0073ub":"admin"`), token.ErrMalformed},
		{"oversized token (> 8 KiB) is rejected", b.claims(map[string]any{"pad": strings.Repeat("x", token.MaxTokenSize)}), token.ErrTooLarge},
	}
	if b.err != nil {
		return nil, b.err
	}
	return cases, nil
}

type builder struct {
	f   *Fixture
	now time.Time
	err error
}

func (b *builder) keep(s string, err error) string {
	if err != nil && b.err == nil {
		b.err = err
	}
	return s
}

// hdr is s's header with extra members (pairs of name, value).
func (b *builder) hdr(s *devtoken.Signer, kv ...any) map[string]any {
	h := s.Header()
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i].(string)] = kv[i+1]
	}
	return h
}

func without(m map[string]any, key string) map[string]any {
	delete(m, key)
	return m
}

// claimSet is a valid claim set with changes; a nil value removes the claim.
func (b *builder) claimSet(changes map[string]any) map[string]any {
	c, err := b.f.RSA.ClaimSet(devtoken.Claims{}, b.now)
	b.keep("", err)
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func (b *builder) claimsJSON(changes map[string]any) []byte {
	out, err := json.Marshal(b.claimSet(changes))
	b.keep("", err)
	return out
}

func (b *builder) maps(s *devtoken.Signer, alg string, header map[string]any, changes map[string]any) string {
	return b.keep(s.SignMaps(alg, header, b.claimSet(changes)))
}

// claims signs a changed claim set correctly with the RSA key.
func (b *builder) claims(changes map[string]any) string {
	return b.maps(b.f.RSA, "RS256", b.f.RSA.Header(), changes)
}

// json signs raw header and/or claims JSON ("" means the default one; raw
// claims are merged over the defaults textually by replacing the first '{').
func (b *builder) json(s *devtoken.Signer, alg, header, claims string) string {
	h := []byte(header)
	if header == "" {
		h, _ = json.Marshal(s.Header())
	}
	p := b.claimsJSON(nil)
	if claims != "" {
		c := b.claimSet(nil)
		var over map[string]json.RawMessage
		b.keep("", json.Unmarshal([]byte(claims), &over))
		for k := range over {
			delete(c, k)
		}
		base, _ := json.Marshal(c)
		p = []byte(strings.TrimSuffix(claims, "}") + "," + string(base[1:]))
	}
	return b.keep(s.SignJSON(alg, h, p))
}

func (b *builder) rawSigned(s *devtoken.Signer, alg string, header map[string]any, payload []byte) string {
	h, _ := json.Marshal(header)
	return b.keep(s.SignJSON(alg, h, payload))
}

// dupClaim appends a second copy of a claim after a valid claim set.
func (b *builder) dupClaim(member string) string {
	p := b.claimsJSON(nil)
	p = append(p[:len(p)-1], ","+member+"}"...)
	h, _ := json.Marshal(b.f.RSA.Header())
	return b.keep(b.f.RSA.SignJSON("RS256", h, p))
}

func (b *builder) unsigned(header map[string]any) string {
	h, _ := json.Marshal(header)
	return devtoken.Segment(h) + "." + devtoken.Segment(b.claimsJSON(nil)) + "."
}

func (b *builder) hmac(alg string, secret []byte) string {
	h, _ := json.Marshal(map[string]any{"alg": alg, "kid": b.f.RSA.KeyID(), "typ": "at+jwt"})
	return b.keep(devtoken.SignHMAC(alg, secret, h, b.claimsJSON(nil)))
}

// ecdsaDER signs with the EC key but encodes the signature in ASN.1 DER
// (as X.509 does) instead of JWS's fixed-size r||s (RFC 7518 §3.4).
func (b *builder) ecdsaDER() string {
	h, _ := json.Marshal(b.f.EC.Header())
	input := devtoken.Segment(h) + "." + devtoken.Segment(b.claimsJSON(nil))
	var priv ecdsa.PrivateKey
	if err := b.f.EC.Key.Raw(&priv); err != nil {
		b.keep("", err)
		return ""
	}
	digest := sha256.Sum256([]byte(input))
	sig, err := ecdsa.SignASN1(rand.Reader, &priv, digest[:])
	b.keep("", err)
	return input + "." + devtoken.Segment(sig)
}
