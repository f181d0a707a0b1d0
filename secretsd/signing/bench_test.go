package signing_test

import (
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// Signing is on the path of every login and refresh (the target:
// 5,000 refreshes/s on 2 cores with ES256 or EdDSA). The benchmarks run on
// all GOMAXPROCS, so tokens/s is the machine's throughput.

func benchNode(b *testing.B, alg string) *node {
	b.Helper()
	return newNode(b, storetest.SQLite(b), newSealer(b), signing.Config{Algorithm: alg})
}

func reportTokens(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkSign(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(alg, func(b *testing.B) {
			n := benchNode(b, alg)
			c := claims(t0)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := n.Sign(c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportTokens(b)
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(alg, func(b *testing.B) {
			n := benchNode(b, alg)
			tok := n.sign(b, claims(t0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := n.Verify(tok, issuer, audience); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportTokens(b)
		})
	}
}

// BenchmarkSignViaJWT signs the same claims the generic way, through jwx's
// jwt.Token and jwt.Sign with the unsealed key: the baseline Sign is
// measured against.
func BenchmarkSignViaJWT(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(alg, func(b *testing.B) {
			n := benchNode(b, alg)
			key := n.privateKey(b, n.ActiveKeyID())
			c := claims(t0)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// One per goroutine: jws.Sign sets alg (and kid) in it.
				hdr := jws.NewHeaders()
				_ = hdr.Set(jws.TypeKey, "at+jwt")
				for pb.Next() {
					tok, err := jwt.NewBuilder().
						Issuer(c.Issuer).Audience(c.Audience).Subject(c.Subject).JwtID("0123456789abcdefghijkl").
						IssuedAt(c.IssuedAt).NotBefore(c.IssuedAt).Expiration(c.Expiry).
						Claim("client_id", c.ClientID).Claim("sid", c.SessionID).
						Claim("auth_time", c.AuthTime.Unix()).Claim("amr", c.AMR).Claim("acr", c.ACR).
						Claim("role", c.Role).Claim("team", c.Team).Claim("groups", c.Groups).
						Claim("scope", c.Extra["scope"]).Build()
					if err == nil {
						_, err = jwt.Sign(tok, jwt.WithKey(jwa.SignatureAlgorithm(alg), key, jws.WithProtectedHeaders(hdr)))
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportTokens(b)
		})
	}
}
