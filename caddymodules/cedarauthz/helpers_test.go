package cedarauthz_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/internal/authz/authztest"
)

var generated1000 = authztest.GeneratePolicies(1000)

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyPolicies copies the shipped policies into a directory a test may edit.
func copyPolicies(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(repoPolicies)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		writeFile(t, filepath.Join(dir, e.Name()), readFile(t, filepath.Join(repoPolicies, e.Name())))
	}
	return dir
}
