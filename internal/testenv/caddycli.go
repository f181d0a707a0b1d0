package testenv

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// updating reports whether golden files should be rewritten: the test
// package's own -update flag (testenv does not define it, so that packages
// that already do keep working) or UPDATE_GOLDEN=1.
func updating() bool {
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		return true
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// CaddyCLI runs the built binary with args in dir and returns its combined
// output and error.
func CaddyCLI(t testing.TB, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(CaddyBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "HOME="+t.TempDir()), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// AdaptGolden runs `caddy adapt` on caddyfile (in dir, with env) and compares
// the JSON with the golden file, or rewrites it under -update.
func AdaptGolden(t testing.TB, dir string, env []string, caddyfile, golden string) {
	t.Helper()
	cmd := exec.Command(CaddyBinary(t), "adapt", "--config", caddyfile, "--adapter", "caddyfile", "--pretty")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("caddy adapt %s: %v\n%s", caddyfile, err, stderr.String())
	}
	if updating() {
		if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(stdout.Bytes()), bytes.TrimSpace(want)) {
		t.Fatalf("caddy adapt %s differs from %s (run with -update if intended):\n%s", caddyfile, filepath.Base(golden), stdout.String())
	}
}

// RepoRoot is the repository's top directory (the one holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir || !strings.HasPrefix(parent, "/") {
			t.Fatal("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}
