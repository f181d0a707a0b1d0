package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/internal/devtoken"
)

// SigningKey generates a signing key for alg and writes its public JWKS to a
// file for the gateway's `jwks` option; tests mint tokens with the signer.
func SigningKey(t testing.TB, alg string) (signer *devtoken.Signer, jwksPath string) {
	t.Helper()
	signer, err := devtoken.NewSigner(alg)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := devtoken.JWKS(signer)
	if err != nil {
		t.Fatal(err)
	}
	jwksPath = filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksPath, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	return signer, jwksPath
}
