package jwtauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"

	"github.com/portcullis/portcullis/caddymodules/security"
	"github.com/portcullis/portcullis/internal/auditreport"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/stepup"
	"github.com/portcullis/portcullis/internal/token"
)

func init() {
	caddy.RegisterModule(JWTAuth{})
}

// Limits on the configuration.
const (
	// MaxLeeway keeps the clock-skew tolerance small: a large leeway would
	// extend every token's lifetime.
	MaxLeeway = 5 * time.Minute
	// MaxCacheSize bounds the cache so that it stays within the gateway's
	// memory budget: an entry costs about 0.7 KiB (BenchmarkCacheMemory), so
	// the cap is about 35 MB and the default 10000 about 7 MB.
	MaxCacheSize = 50000
)

// JWTAuth authenticates requests with a bearer access token.
type JWTAuth struct {
	// JWKS is the key set: a file path or an http(s) URL of a JSON Web Key
	// Set (RFC 7517). Default: the `jwks` of the portcullis app.
	JWKS string `json:"jwks,omitempty"`

	// Issuer is the required iss claim. Required.
	Issuer string `json:"issuer,omitempty"`

	// Audiences are the accepted aud values; a token must name at least one.
	// Required.
	Audiences []string `json:"audiences,omitempty"`

	// Algorithms allowed, among RS256, ES256, EdDSA and PS256. Default: all
	// four. A key whose algorithm is not listed verifies nothing.
	Algorithms []string `json:"algorithms,omitempty"`

	// Type is the required typ header: "at+jwt" (RFC 9068 §2.1; also
	// accepts "application/at+jwt") or "any". Default: "at+jwt".
	Type string `json:"typ,omitempty"`

	// Leeway is the clock skew tolerated on exp, nbf and iat. Default: 30s;
	// a negative value means none. At most 5m.
	Leeway caddy.Duration `json:"leeway,omitempty"`

	// CacheSize bounds how many verified tokens are remembered (by SHA-256,
	// until exp; revocation is still checked on every request). Default:
	// 10000; a negative value disables the cache. At most 50000.
	CacheSize int `json:"cache_size,omitempty"`

	// ForwardClaims pass claims upstream in request headers. Client-supplied
	// copies of these headers are always deleted. Default: none.
	ForwardClaims []ForwardClaim `json:"forward_claims,omitempty"`

	verifier  *token.Verifier
	strip     []string // forwarded header names, canonical
	stripNorm []string // the same, lower-case with '_' as '-'
	logger    *zap.Logger
}

// ForwardClaim passes one claim upstream.
type ForwardClaim struct {
	// Claim is the claim name (sub, role, groups, or any other claim).
	Claim string `json:"claim"`
	// Header is the request header that carries it upstream.
	Header string `json:"header"`
}

// CaddyModule returns the Caddy module information.
func (JWTAuth) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.jwt_auth",
		New: func() caddy.Module { return new(JWTAuth) },
	}
}

// Provision gets the shared key set from the portcullis app and builds the
// verifier.
func (h *JWTAuth) Provision(ctx caddy.Context) error {
	app, err := security.FromContext(ctx)
	if err != nil {
		return fmt.Errorf("jwt_auth: %w", err)
	}
	keys, err := app.KeySource(h.JWKS)
	if err != nil {
		return fmt.Errorf("jwt_auth: %w", err)
	}
	rev := app.Revocations()
	if rev == nil {
		// The app always provides one (an "unavailable" checker when its
		// mirror is missing); never run without revocation.
		return errors.New("jwt_auth: the portcullis app has no revocation checker")
	}
	return h.setup(keys, rev, clock.System, ctx.Logger())
}

func (h *JWTAuth) setup(keys token.KeyProvider, rev revocation.Checker, clk clock.Clock, logger *zap.Logger) error {
	if err := h.Validate(); err != nil {
		return err
	}
	h.logger = logger
	leeway := token.DefaultLeeway
	switch {
	case h.Leeway < 0:
		leeway = 0
	case h.Leeway > 0:
		leeway = time.Duration(h.Leeway)
	}
	size := token.DefaultCacheSize
	switch {
	case h.CacheSize < 0:
		size = 0
	case h.CacheSize > 0:
		size = h.CacheSize
	}
	v, err := token.NewVerifier(token.Config{
		Issuer:      h.Issuer,
		Audiences:   h.Audiences,
		Algorithms:  h.Algorithms,
		AnyType:     h.Type == "any",
		Leeway:      leeway,
		CacheSize:   size,
		Keys:        keys,
		Revocations: rev,
		Clock:       clk,
	})
	if err != nil {
		return fmt.Errorf("jwt_auth: %w", err)
	}
	h.verifier = v
	h.strip, h.stripNorm = nil, nil
	for _, fc := range h.ForwardClaims {
		h.strip = append(h.strip, textproto.CanonicalMIMEHeaderKey(fc.Header))
		h.stripNorm = append(h.stripNorm, normHeader(fc.Header))
	}
	return nil
}

// Validate checks the configuration.
func (h *JWTAuth) Validate() error {
	if h.Issuer == "" {
		return errors.New("jwt_auth: issuer is required")
	}
	if len(h.Audiences) == 0 {
		return errors.New("jwt_auth: at least one audience is required")
	}
	for _, a := range h.Algorithms {
		if !token.IsSupportedAlgorithm(a) {
			return fmt.Errorf("jwt_auth: algorithm %q is not supported (want %s)", a, strings.Join(token.SupportedAlgorithms, ", "))
		}
	}
	if h.Type != "" && h.Type != "at+jwt" && h.Type != "any" {
		return fmt.Errorf(`jwt_auth: typ %q must be "at+jwt" or "any"`, h.Type)
	}
	if time.Duration(h.Leeway) > MaxLeeway {
		return fmt.Errorf("jwt_auth: leeway %s is larger than %s", time.Duration(h.Leeway), MaxLeeway)
	}
	if h.CacheSize > MaxCacheSize {
		return fmt.Errorf("jwt_auth: cache_size %d is larger than %d", h.CacheSize, MaxCacheSize)
	}
	seen := map[string]bool{}
	for _, fc := range h.ForwardClaims {
		if err := checkForwardClaim(fc); err != nil {
			return fmt.Errorf("jwt_auth: %w", err)
		}
		if n := normHeader(fc.Header); seen[n] {
			return fmt.Errorf("jwt_auth: header %q is forwarded twice", fc.Header)
		} else {
			seen[n] = true
		}
	}
	return nil
}

func checkForwardClaim(fc ForwardClaim) error {
	if fc.Claim == "" {
		return errors.New("forward_claim needs a claim name")
	}
	if !httpguts.ValidHeaderFieldName(fc.Header) {
		return fmt.Errorf("forward_claim: %q is not a valid header name", fc.Header)
	}
	switch textproto.CanonicalMIMEHeaderKey(fc.Header) {
	case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Authorization", "Te", "Upgrade":
		return fmt.Errorf("forward_claim: header %q cannot carry a claim", fc.Header)
	}
	return nil
}

// ServeHTTP authenticates the request and passes it on only when the token
// is valid.
func (h *JWTAuth) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	// Identity headers are ours alone: drop what the client sent before
	// anything can fail, so no path lets a forged one through.
	if len(h.strip) > 0 {
		h.stripHeaders(r.Header)
	}
	tok, f := bearerToken(r)
	if f != nil {
		return h.reject(w, r, f)
	}
	p, err := h.verifier.Verify(tok)
	if err != nil {
		return h.reject(w, r, h.classify(err))
	}
	if n := len(h.ForwardClaims); n > 0 {
		vals := make([]string, n) // one allocation for all forwarded headers
		for i, fc := range h.ForwardClaims {
			if v, ok := claimString(p, fc.Claim); ok && httpguts.ValidHeaderFieldValue(v) {
				vals[i] = v
				r.Header[h.strip[i]] = vals[i : i+1 : i+1]
			}
		}
	}
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Map(placeholders(p))
	}
	if rep := auditreport.FromContext(r.Context()); rep != nil {
		rep.Auth = &auditreport.Auth{Outcome: "valid", Subject: p.Subject, SessionID: p.SessionID,
			TokenID: p.TokenID, Role: p.Role, AMR: p.AMR, MFA: p.HasAMR(stepup.DefaultMethods...)}
	}
	return next.ServeHTTP(w, r.WithContext(principal.WithPrincipal(r.Context(), p)))
}

// stripHeaders deletes the forwarded headers, and any header whose name
// matches one of them case-insensitively with '_' taken as '-' (CGI-style
// upstreams map both spellings to the same variable).
func (h *JWTAuth) stripHeaders(hdr http.Header) {
	for _, name := range h.strip {
		delete(hdr, name)
	}
	for name := range hdr {
		for _, n := range h.stripNorm {
			if len(name) == len(n) && sameHeaderLoose(name, n) {
				delete(hdr, name)
			}
		}
	}
}

// sameHeaderLoose compares name with norm (already normalised by normHeader)
// ignoring case and treating '_' as '-', without allocating.
func sameHeaderLoose(name, norm string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_':
			c = '-'
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if c != norm[i] {
			return false
		}
	}
	return true
}

func normHeader(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "_", "-")
}

var (
	_ caddy.Provisioner           = (*JWTAuth)(nil)
	_ caddy.Validator             = (*JWTAuth)(nil)
	_ caddyhttp.MiddlewareHandler = (*JWTAuth)(nil)
)
