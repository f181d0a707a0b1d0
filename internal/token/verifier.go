package token

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
)

// Defaults a caller applies when its configuration leaves them open.
const (
	DefaultLeeway    = 30 * time.Second
	DefaultCacheSize = 10000
	// MaxTokenSize bounds the token string; longer ones are refused before
	// any decoding, so a client cannot make the gateway parse megabytes.
	MaxTokenSize = 8 << 10
)

// KeyProvider finds verification keys. KeySet (static) and KeySource
// (refreshed from a file or URL) implement it.
type KeyProvider interface {
	// Key returns the key for a token's kid ("" when the token has none),
	// or an *Error of kind ErrUnknownKey.
	Key(kid string) (*Key, error)
	// Has reports whether k is still in the current set; a cached token
	// whose key was rotated out is verified again (and so refused).
	Has(k *Key) bool
}

// Config is one handler's token policy.
type Config struct {
	// Issuer is the required iss.
	Issuer string
	// Audiences are accepted aud values; the token must name at least one.
	Audiences []string
	// Algorithms allowed; default SupportedAlgorithms.
	Algorithms []string
	// AnyType accepts any typ header. By default typ must be at+jwt
	// (RFC 9068 §2.1), so that ID tokens and other JWTs signed by the same
	// issuer cannot be replayed as access tokens.
	AnyType bool
	// Leeway is the clock skew tolerated on exp, nbf and iat (taken as is;
	// callers apply DefaultLeeway).
	Leeway time.Duration
	// CacheSize bounds the verified-token cache; 0 disables it.
	CacheSize int
	// Keys provides the verification keys. Required.
	Keys KeyProvider
	// Revocations, when set, is consulted on every Verify, cached or not.
	Revocations revocation.Checker
	// Clock defaults to the system clock.
	Clock clock.Clock
}

// Verifier checks access tokens against one Config. It is safe for
// concurrent use.
type Verifier struct {
	cfg       Config
	algs      []string
	leewayNs  int64
	clock     clock.Clock
	cache     *cache
	keys      KeyProvider
	revoked   revocation.Checker
	audiences []string
}

// NewVerifier checks cfg and returns its verifier.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("an issuer is required")
	}
	if len(cfg.Audiences) == 0 {
		return nil, errors.New("at least one audience is required")
	}
	if cfg.Keys == nil {
		return nil, errors.New("a key provider is required")
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("leeway must not be negative")
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = SupportedAlgorithms
	}
	for _, a := range algs {
		if !IsSupportedAlgorithm(a) {
			return nil, fmt.Errorf("algorithm %q is not supported (want %s)", a, strings.Join(SupportedAlgorithms, ", "))
		}
	}
	v := &Verifier{
		cfg:       cfg,
		algs:      slices.Clone(algs),
		leewayNs:  int64(cfg.Leeway),
		clock:     cfg.Clock,
		keys:      cfg.Keys,
		revoked:   cfg.Revocations,
		audiences: slices.Clone(cfg.Audiences),
	}
	if v.clock == nil {
		v.clock = clock.System
	}
	if cfg.CacheSize > 0 {
		v.cache = newCache(cfg.CacheSize)
	}
	return v, nil
}

// Verify checks tok and returns its principal. The principal may be shared
// with other requests carrying the same token: callers must not modify it.
//
// Errors are an *Error (errors.Is with the Err* kinds), or from the
// revocation checker: revocation.ErrRevoked, revocation.ErrStale, or another
// error meaning the revocation state could not be read.
func (v *Verifier) Verify(tok string) (*principal.Principal, error) {
	if len(tok) > MaxTokenSize {
		return nil, fail(ErrTooLarge, fmt.Sprintf("longer than %d bytes", MaxTokenSize))
	}
	now := v.clock.Now()
	var sum [32]byte
	if v.cache != nil {
		sum = sha256.Sum256(bytesOf(tok))
		if e, ok := v.cache.get(&sum); ok {
			if now.UnixNano() >= e.deadline {
				v.cache.remove(&sum)
				return nil, fail(ErrExpired, "")
			}
			if v.keys.Has(e.key) {
				if err := v.checkRevoked(e.p); err != nil {
					return nil, err
				}
				return e.p, nil
			}
			// Its key was rotated out: verify again, which refuses it
			// unless the key came back.
			v.cache.remove(&sum)
		}
	}
	p, key, err := v.verify(tok, now)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(p); err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.put(&sum, cacheEntry{p: p, key: key, deadline: p.Expiry.UnixNano() + v.leewayNs})
	}
	return p, nil
}

// CacheLen is the number of cached tokens (for tests and metrics).
func (v *Verifier) CacheLen() int {
	if v.cache == nil {
		return 0
	}
	return v.cache.len()
}

func (v *Verifier) checkRevoked(p *principal.Principal) error {
	if v.revoked == nil {
		return nil
	}
	err := v.revoked.Check(p)
	if err == nil || errors.Is(err, revocation.ErrRevoked) || errors.Is(err, revocation.ErrStale) {
		return err
	}
	return fmt.Errorf("checking revocation: %w", err)
}

var b64 = base64.RawURLEncoding.Strict()

func (v *Verifier) verify(tok string, now time.Time) (*principal.Principal, *Key, error) {
	// JWS compact serialization is three base64url parts (RFC 7515 §7.1);
	// five parts are a JWE (RFC 7516 §7.1), which we never decrypt.
	switch strings.Count(tok, ".") {
	case 2:
	case 4:
		return nil, nil, fail(ErrEncrypted, "")
	default:
		return nil, nil, fail(ErrMalformed, "a signed token has three dot-separated parts")
	}
	d1 := strings.IndexByte(tok, '.')
	d2 := d1 + 1 + strings.IndexByte(tok[d1+1:], '.')
	h64, p64, s64 := tok[:d1], tok[d1+1:d2], tok[d2+1:]
	if h64 == "" || p64 == "" {
		return nil, nil, fail(ErrMalformed, "empty header or payload")
	}
	if s64 == "" {
		return nil, nil, fail(ErrSignature, "the token is unsigned")
	}
	buf := make([]byte, b64.DecodedLen(len(h64))+b64.DecodedLen(len(p64))+b64.DecodedLen(len(s64)))
	hb, rest, err := decodeInto(buf, h64)
	if err != nil {
		return nil, nil, fail(ErrMalformed, "header is not base64url")
	}
	hdr, err := parseHeader(hb)
	if err != nil {
		return nil, nil, err
	}
	if err := v.checkAlgorithm(hdr.alg); err != nil {
		return nil, nil, err
	}
	if !v.cfg.AnyType && !isATJWT(hdr.typ) {
		return nil, nil, fail(ErrType, `typ must be "at+jwt" (RFC 9068)`)
	}
	key, err := v.keys.Key(hdr.kid)
	if err != nil {
		return nil, nil, err
	}
	// RFC 8725 §3.1: the key decides the algorithm; the header may only agree.
	if key.Algorithm != hdr.alg {
		return nil, nil, fail(ErrAlgorithm, "the token's alg does not match its key's algorithm")
	}
	sig, rest, err := decodeInto(rest, s64)
	if err != nil {
		return nil, nil, fail(ErrMalformed, "signature is not base64url")
	}
	if err := key.verify(bytesOf(tok[:d2]), sig); err != nil {
		return nil, nil, fail(ErrSignature, "")
	}
	pb, _, err := decodeInto(rest, p64)
	if err != nil {
		return nil, nil, fail(ErrMalformed, "payload is not base64url")
	}
	p, err := parseClaims(pb)
	if err != nil {
		return nil, nil, err
	}
	if err := v.checkClaims(p, now); err != nil {
		return nil, nil, err
	}
	return p, key, nil
}

func (v *Verifier) checkAlgorithm(alg string) error {
	switch {
	case strings.EqualFold(alg, "none"):
		return fail(ErrAlgorithm, `"none" is never accepted`)
	case len(alg) >= 2 && strings.EqualFold(alg[:2], "HS"):
		// RFC 8725 §2.1: an HMAC "signature" keyed with a public key proves nothing.
		return fail(ErrAlgorithm, "HMAC algorithms are never accepted")
	case !slices.Contains(v.algs, alg):
		return fail(ErrAlgorithm, "the token's algorithm is not allowed")
	}
	return nil
}

func (v *Verifier) checkClaims(p *principal.Principal, now time.Time) error {
	if p.Issuer != v.cfg.Issuer {
		return fail(ErrIssuer, "")
	}
	if !slices.ContainsFunc(p.Audience, func(a string) bool { return slices.Contains(v.audiences, a) }) {
		return fail(ErrAudience, "")
	}
	leeway := v.cfg.Leeway
	if !now.Before(p.Expiry.Add(leeway)) {
		return fail(ErrExpired, "")
	}
	if !p.NotBefore.IsZero() && p.NotBefore.After(now.Add(leeway)) {
		return fail(ErrNotYetValid, "")
	}
	if p.IssuedAt.After(now.Add(leeway)) {
		return fail(ErrIssuedInFuture, "")
	}
	return nil
}

// decodeInto decodes s at the start of buf and returns the decoded bytes and
// the rest of buf, so that one allocation serves all three parts.
func decodeInto(buf []byte, s string) ([]byte, []byte, error) {
	n, err := b64.Decode(buf, bytesOf(s))
	if err != nil {
		return nil, nil, err
	}
	return buf[:n], buf[n:], nil
}

// bytesOf views s as bytes without copying. Only for readers (hashing,
// decoding, signature checks) that never modify or keep the slice.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
