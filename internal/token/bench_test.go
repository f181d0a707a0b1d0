package token_test

import (
	"testing"
	"time"

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
