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

// update makes the golden-file helpers rewrite their files:
// go test ./pkg -run Adapt -update (or UPDATE_GOLDEN=1 for several packages).
var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from `caddy adapt`")

func updating() bool { return *update || os.Getenv("UPDATE_GOLDEN") == "1" }

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

// AdaptGoldenDir runs AdaptGolden on every dir/*.caddyfile against the
// dir/*.golden.json of the same name, each in its own parallel subtest.
func AdaptGoldenDir(t *testing.T, dir string) {
	t.Helper()
	inputs, err := filepath.Glob(filepath.Join(dir, "*.caddyfile"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("testenv: no %s/*.caddyfile (%v)", dir, err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".caddyfile")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			AdaptGolden(t, "", nil, in, filepath.Join(dir, name+".golden.json"))
		})
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

// Validate writes caddyfile to a fresh directory and runs `caddy validate`
// on it. It returns the output with the JSON log's escaped quotes undone, so
// tests can look for messages as a user reads them, and whether the
// configuration was accepted.
func Validate(t testing.TB, caddyfile string) (output string, ok bool) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := CaddyCLI(t, dir, nil, "validate", "--config", path, "--adapter", "caddyfile")
	return strings.ReplaceAll(out, `\"`, `"`), err == nil
}
