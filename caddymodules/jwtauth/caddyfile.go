package jwtauth

import (
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/internal/token"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("jwt_auth", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	j := new(JWTAuth)
	err := j.UnmarshalCaddyfile(h.Dispenser)
	return j, err
}

// UnmarshalCaddyfile parses the jwt_auth directive (see the package doc).
// Every error names the file and line.
func (h *JWTAuth) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.Errf("jwt_auth: unexpected argument %q (options go in a block)", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		switch opt {
		case "jwks":
			if !d.AllArgs(&h.JWKS) {
				return d.Errf("jwt_auth: jwks takes exactly one file path or URL")
			}
		case "issuer":
			if !d.AllArgs(&h.Issuer) {
				return d.Errf("jwt_auth: issuer takes exactly one value")
			}
		case "audience":
			auds := d.RemainingArgs()
			if len(auds) == 0 {
				return d.Errf("jwt_auth: audience needs at least one value")
			}
			h.Audiences = append(h.Audiences, auds...)
		case "algorithms":
			algs := d.RemainingArgs()
			if len(algs) == 0 {
				return d.Errf("jwt_auth: algorithms needs at least one of %s", strings.Join(token.SupportedAlgorithms, ", "))
			}
			for _, a := range algs {
				if !token.IsSupportedAlgorithm(a) {
					return d.Errf("jwt_auth: unknown algorithm %q in algorithms (want %s; none and HMAC are never accepted)", a, strings.Join(token.SupportedAlgorithms, ", "))
				}
			}
			h.Algorithms = algs
		case "typ":
			if !d.AllArgs(&h.Type) || (h.Type != "at+jwt" && h.Type != "any") {
				return d.Errf(`jwt_auth: typ takes "at+jwt" or "any"`)
			}
		case "leeway":
			var raw string
			if !d.AllArgs(&raw) {
				return d.Errf("jwt_auth: leeway takes exactly one duration")
			}
			dur, err := caddy.ParseDuration(raw)
			if err != nil || dur < 0 || dur > MaxLeeway {
				return d.Errf("jwt_auth: leeway %q is not a duration between 0 and %s", raw, MaxLeeway)
			}
			if dur == 0 {
				dur = -1 // explicit 0: none; the JSON zero value means "default"
			}
			h.Leeway = caddy.Duration(dur)
		case "cache_size":
			var raw string
			if !d.AllArgs(&raw) {
				return d.Errf("jwt_auth: cache_size takes exactly one number")
			}
			n, err := strconv.Atoi(raw)
			if err != nil || n < 0 || n > MaxCacheSize {
				return d.Errf("jwt_auth: cache_size %q is not a number between 0 and %d", raw, MaxCacheSize)
			}
			if n == 0 {
				n = -1 // explicit 0: disabled
			}
			h.CacheSize = n
		case "forward_claim":
			var fc ForwardClaim
			if !d.AllArgs(&fc.Claim, &fc.Header) {
				return d.Errf("jwt_auth: forward_claim takes a claim name and a header name")
			}
			if err := checkForwardClaim(fc); err != nil {
				return d.Errf("jwt_auth: %v", err)
			}
			for _, prev := range h.ForwardClaims {
				if normHeader(prev.Header) == normHeader(fc.Header) {
					return d.Errf("jwt_auth: header %q is forwarded twice", fc.Header)
				}
			}
			h.ForwardClaims = append(h.ForwardClaims, fc)
		default:
			return d.Errf("jwt_auth: unrecognized option %q", opt)
		}
	}
	if h.Issuer == "" {
		return d.Errf("jwt_auth: issuer is required")
	}
	if len(h.Audiences) == 0 {
		return d.Errf("jwt_auth: audience is required")
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*JWTAuth)(nil)
