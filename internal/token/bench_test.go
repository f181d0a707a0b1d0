package token_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/internal/token/tokentest"
)

// allowAll is the cheapest Checker, so the benchmarks measure the verifier
// plus the cost of calling one.
type allowAll struct{}

func (allowAll) Check(*principal.Principal) error { return nil }

// BenchmarkVerifyCached is the common case: the same token on every request.
func BenchmarkVerifyCached(b *testing.B) {
	v := newVerifier(b, clock.System, func(c *token.Config) { c.Revocations = allowAll{} })
	tok := tokentest.Mint(testFixture(b).RSA, time.Now())
	if _, err := v.Verify(tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached gives a different token to every call (cycling
// through more tokens than the cache holds), so each one is fully verified
// and inserted into the cache, as with a different token per request.
func BenchmarkVerifyUncached(b *testing.B) {
	f := testFixture(b)
	now := time.Now()
	for _, s := range []*devtoken.Signer{f.RSA, f.EC, f.Ed, f.PS} {
		b.Run(s.Alg.String(), func(b *testing.B) {
			toks := make([]string, 256)
			for i := range toks {
				toks[i] = tokentest.Mint(s, now)
			}
			v := newVerifier(b, clock.System, func(c *token.Config) { c.CacheSize = 64; c.Revocations = allowAll{} })
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := v.Verify(toks[i%len(toks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkRejectHostile measures the cost of refusing garbage (what a
// flood of bad tokens costs the gateway).
func BenchmarkRejectHostile(b *testing.B) {
	f := testFixture(b)
	cases, err := f.Hostile(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	v := newVerifier(b, clock.System)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		_, _ = v.Verify(cases[i%len(cases)].Token)
		i++
	}
}

// BenchmarkCacheMemory fills a default-sized cache with distinct tokens and
// reports the heap it holds per entry (bytes/entry), the figure behind the
// gateway's RSS budget: the cache never holds more than CacheSize entries.
func BenchmarkCacheMemory(b *testing.B) {
	f := testFixture(b)
	now := time.Now()
	toks := make([]string, token.DefaultCacheSize)
	for i := range toks {
		toks[i] = tokentest.Mint(f.Ed, now)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		v := newVerifier(b, clock.System, func(c *token.Config) { c.CacheSize = token.DefaultCacheSize })
		for _, tok := range toks {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(v.CacheLen()), "bytes/entry")
		runtime.KeepAlive(v)
	}
}

// BenchmarkJWXParseForComparison is the same RS256 token through jwx's
// jwt.Parse with the key set and validation: the library route this
// verifier's own claims parsing was measured against.
func BenchmarkJWXParseForComparison(b *testing.B) {
	f := testFixture(b)
	set, err := jwk.Parse(f.JWKS)
	if err != nil {
		b.Fatal(err)
	}
	tok := []byte(tokentest.Mint(f.RSA, time.Now()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jwt.Parse(tok, jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithIssuer(tokentest.Issuer), jwt.WithAudience(tokentest.Audience)); err != nil {
			b.Fatal(err)
		}
	}
}
