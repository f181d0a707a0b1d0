package token_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/internal/token/tokentest"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	fixtureOnce sync.Once
	fixture     *tokentest.Fixture
	fixtureErr  error
)

func testFixture(t testing.TB) *tokentest.Fixture {
	t.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = tokentest.NewFixture() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func keySet(t testing.TB, jwks []byte) *token.KeySet {
	t.Helper()
	set, _, err := token.ParseKeySet(jwks, nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

type config func(*token.Config)

func newVerifier(t testing.TB, clk clock.Clock, opts ...config) *token.Verifier {
	t.Helper()
	cfg := token.Config{
		Issuer:    tokentest.Issuer,
		Audiences: []string{tokentest.Audience},
		Leeway:    token.DefaultLeeway,
		CacheSize: 100,
		Keys:      keySet(t, testFixture(t).JWKS),
		Clock:     clk,
	}
	for _, o := range opts {
		o(&cfg)
	}
	v, err := token.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHostileTokensAreRejected(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	cases, err := f.Hostile(t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	v := newVerifier(t, clock.NewManual(t0))
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			// Twice: the second run must not be answered from the cache.
			for range 2 {
				p, err := v.Verify(c.Token)
				if err == nil {
					t.Fatalf("accepted: %+v", p)
				}
				if !errors.Is(err, c.Want) {
					t.Fatalf("error = %v, want kind %v", err, c.Want)
				}
				if c.Token != "" && len(c.Token) > 20 && strings.Contains(err.Error(), c.Token[len(c.Token)-20:]) {
					t.Fatalf("error echoes the token: %v", err)
				}
			}
		})
	}
	if n := v.CacheLen(); n != 0 {
		t.Fatalf("%d rejected tokens were cached", n)
	}
}

func TestValidTokensPassForEveryAlgorithm(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	v := newVerifier(t, clock.NewManual(t0))
	for _, s := range f.Signers() {
		t.Run(s.Alg.String(), func(t *testing.T) {
			t.Parallel()
			tok, err := s.Mint(devtoken.Claims{
				Subject: "alice", Role: "Admin", Team: "sre", Groups: []string{"ops", "oncall"},
				AMR: []string{"pwd", "otp"}, ACR: "urn:portcullis:acr:mfa", BreakGlass: true,
				Extra: map[string]any{"scope": "read write", "env": "prod"},
			}, t0)
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("valid %s token refused: %v", s.Alg, err)
			}
			want := principal.Principal{Subject: "alice", Issuer: tokentest.Issuer, Role: "Admin", Team: "sre", ACR: "urn:portcullis:acr:mfa", BreakGlass: true}
			if p.Subject != want.Subject || p.Issuer != want.Issuer || p.Role != want.Role || p.Team != want.Team || p.ACR != want.ACR || !p.BreakGlass {
				t.Fatalf("principal = %+v", p)
			}
			if strings.Join(p.Groups, ",") != "ops,oncall" || !p.HasAMR("otp") || p.TokenID == "" || p.SessionID == "" || p.ClientID != "portcullis-cli" {
				t.Fatalf("principal = %+v", p)
			}
			if !p.Expiry.Equal(t0.Add(15*time.Minute)) || !p.IssuedAt.Equal(t0) || !p.AuthTime.Equal(t0) {
				t.Fatalf("times = exp %v iat %v auth_time %v", p.Expiry, p.IssuedAt, p.AuthTime)
			}
			if p.Claims["scope"] != "read write" || p.Claims["env"] != "prod" || len(p.Claims) != 2 {
				t.Fatalf("other claims = %v", p.Claims)
			}
		})
	}
}

func TestTimeClaimsHonourTheLeeway(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	cases := []struct {
		name  string
		at    time.Duration // verifier time relative to t0
		mint  devtoken.Claims
		extra map[string]any
		want  error
	}{
		{"expired within leeway passes", 15*time.Minute + 29*time.Second, devtoken.Claims{}, nil, nil},
		{"expired at exactly exp plus leeway is rejected", 15*time.Minute + 30*time.Second, devtoken.Claims{}, nil, token.ErrExpired},
		{"nbf within leeway passes", -29 * time.Second, devtoken.Claims{}, nil, nil},
		{"nbf just beyond leeway is rejected", -31 * time.Second, devtoken.Claims{}, nil, token.ErrNotYetValid},
		{"iat in the future beyond leeway is rejected", 0, devtoken.Claims{}, map[string]any{"iat": t0.Add(time.Minute).Unix(), "nbf": t0.Unix()}, token.ErrIssuedInFuture},
		{"fractional exp is accepted", 0, devtoken.Claims{}, map[string]any{"exp": float64(t0.Add(time.Minute).Unix()) + 0.5}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl := c.mint
			cl.Extra = c.extra
			tok, err := f.RSA.Mint(cl, t0)
			if err != nil {
				t.Fatal(err)
			}
			v := newVerifier(t, clock.NewManual(t0.Add(c.at)))
			_, err = v.Verify(tok)
			if c.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
		})
	}
}

func TestPolicyOptions(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	withJWT := func(s *devtoken.Signer) string {
		c, _ := s.ClaimSet(devtoken.Claims{}, t0)
		tok, err := s.SignMaps(s.Alg.String(), map[string]any{"alg": s.Alg.String(), "kid": s.KeyID(), "typ": "JWT"}, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cases := []struct {
		name string
		opt  config
		tok  string
		want error
	}{
		{"ES256 token is rejected when only RS256 is allowed", func(c *token.Config) { c.Algorithms = []string{"RS256"} }, tokentest.Mint(f.EC, t0), token.ErrAlgorithm},
		{"RS256 token passes when only RS256 is allowed", func(c *token.Config) { c.Algorithms = []string{"RS256"} }, tokentest.Mint(f.RSA, t0), nil},
		{"typ JWT passes when any typ is accepted", func(c *token.Config) { c.AnyType = true }, withJWT(f.RSA), nil},
		{"typ application/at+jwt passes", nil, func() string {
			c, _ := f.RSA.ClaimSet(devtoken.Claims{}, t0)
			tok, _ := f.RSA.SignMaps("RS256", map[string]any{"alg": "RS256", "kid": f.RSA.KeyID(), "typ": "application/at+jwt"}, c)
			return tok
		}(), nil},
		{"second accepted audience passes", func(c *token.Config) { c.Audiences = []string{"other", tokentest.Audience} }, tokentest.Mint(f.RSA, t0), nil},
		{"token without kid passes when the set has one key", func(c *token.Config) {
			one, _ := devtoken.JWKS(f.RSA)
			c.Keys = keySet(t, one)
		}, func() string {
			c, _ := f.RSA.ClaimSet(devtoken.Claims{}, t0)
			tok, _ := f.RSA.SignMaps("RS256", map[string]any{"alg": "RS256", "typ": "at+jwt"}, c)
			return tok
		}(), nil},
		{"zero leeway rejects a token one second past exp", func(c *token.Config) { c.Leeway = 0; c.Clock = clock.NewManual(t0.Add(15*time.Minute + time.Second)) }, tokentest.Mint(f.RSA, t0), token.ErrExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := []config{}
			if c.opt != nil {
				opts = append(opts, c.opt)
			}
			v := newVerifier(t, clock.NewManual(t0), opts...)
			_, err := v.Verify(c.tok)
			if c.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
		})
	}
}

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	t.Parallel()
	keys := keySet(t, testFixture(t).JWKS)
	cases := []struct {
		name string
		cfg  token.Config
		want string
	}{
		{"missing issuer", token.Config{Audiences: []string{"a"}, Keys: keys}, "issuer"},
		{"missing audience", token.Config{Issuer: "i", Keys: keys}, "audience"},
		{"missing keys", token.Config{Issuer: "i", Audiences: []string{"a"}}, "key provider"},
		{"HS256 in algorithms", token.Config{Issuer: "i", Audiences: []string{"a"}, Keys: keys, Algorithms: []string{"RS256", "HS256"}}, `"HS256" is not supported`},
		{"negative leeway", token.Config{Issuer: "i", Audiences: []string{"a"}, Keys: keys, Leeway: -time.Second}, "leeway"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := token.NewVerifier(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want %q", err, c.want)
			}
		})
	}
}

// revocations is a real in-memory Checker (the interface's simplest
// implementation), switched by the test.
type revocations struct {
	mu  sync.Mutex
	err error
	n   int
}

func (r *revocations) Check(*principal.Principal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return r.err
}

func (r *revocations) set(err error) { r.mu.Lock(); r.err = err; r.mu.Unlock() }

func TestCacheStillAppliesExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	clk := clock.NewManual(t0)
	rev := &revocations{}
	v := newVerifier(t, clk, func(c *token.Config) { c.Revocations = rev })
	tok := tokentest.Mint(f.RSA, t0)

	p1, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := v.Verify(tok)
	if err != nil || p2 != p1 {
		t.Fatalf("second verify: %v (same principal: %v)", err, p2 == p1)
	}
	if v.CacheLen() != 1 || rev.n != 2 {
		t.Fatalf("cache len %d, revocation checks %d; want 1 and 2", v.CacheLen(), rev.n)
	}
	rev.set(revocation.ErrRevoked)
	if _, err := v.Verify(tok); !errors.Is(err, revocation.ErrRevoked) {
		t.Fatalf("revoked cached token: %v", err)
	}
	rev.set(revocation.ErrStale)
	if _, err := v.Verify(tok); !errors.Is(err, revocation.ErrStale) {
		t.Fatalf("stale mirror: %v", err)
	}
	rev.set(errors.New("mirror exploded"))
	if _, err := v.Verify(tok); err == nil {
		t.Fatal("unknown revocation error must fail closed")
	}
	rev.set(nil)
	clk.Advance(15*time.Minute + token.DefaultLeeway)
	if _, err := v.Verify(tok); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("cached token past exp+leeway: %v", err)
	}
	if v.CacheLen() != 0 {
		t.Fatal("expired entry stayed in the cache")
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	v := newVerifier(t, clock.NewManual(t0), func(c *token.Config) { c.CacheSize = 64 })
	for range 500 {
		if _, err := v.Verify(tokentest.Mint(f.Ed, t0)); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.CacheLen(); n > 64 || n < 32 {
		t.Fatalf("cache holds %d entries, bound 64", n)
	}
}

func TestCacheDisabled(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, clock.NewManual(t0), func(c *token.Config) { c.CacheSize = 0 })
	if _, err := v.Verify(tokentest.Mint(testFixture(t).RSA, t0)); err != nil {
		t.Fatal(err)
	}
	if v.CacheLen() != 0 {
		t.Fatal("disabled cache holds entries")
	}
}
