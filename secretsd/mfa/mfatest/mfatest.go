// Package mfatest holds test helpers for second factors.
package mfatest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// Credential is a software authenticator's ES256 credential that go-webauthn
// always accepts. virtualwebauthn.NewCredential writes the public key's
// coordinates with big.Int.Bytes, which drops a leading zero byte (1 key in
// 128), and go-webauthn rightly refuses a P-256 coordinate that is not 32
// bytes: a test using it would fail now and then. The key here has no such
// coordinate.
func Credential(t testing.TB) virtualwebauthn.Credential {
	t.Helper()
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.X.Bytes()) != 32 || len(k.Y.Bytes()) != 32 {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}
