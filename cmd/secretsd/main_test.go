package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/config"
)

// cleanEnviron is the test's environment without SECRETSD_* settings, so a
// developer's own never leak into the process under test.
func cleanEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SECRETSD_") {
			out = append(out, kv)
		}
	}
	return out
}

// TestBinaryStartsWithoutConfigAndStopsOnSIGTERM builds the real binary and
// runs it with no config file in an empty folder: it creates its store and
// master key under ./.run, answers /healthz, bootstraps the first Admin
// once, and exits 0 on SIGTERM.
func TestBinaryStartsWithoutConfigAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "secretsd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	port := testenv.FreePort(t)
	environ := append(cleanEnviron(), fmt.Sprintf("SECRETSD_SERVER_LISTEN=127.0.0.1:%d", port))

	var logs testenv.LogBuffer
	cmd := exec.Command(bin)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, environ, &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("secretsd output:\n%s", logs.String())
		}
	})

	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	testenv.WaitFor(t, 30*time.Second, "secretsd /healthz", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("secretsd exited during start-up: %v\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for _, f := range []string{".run/master.key", ".run/secretsd.db"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want a 0600 file", f, err, fi.Mode())
		}
	}

	bootstrap := func() (string, error) {
		b := exec.Command(bin, "bootstrap", "--username", "admin", "--password-stdin")
		b.Dir, b.Env, b.Stdin = dir, environ, strings.NewReader("bootstrap-password-1\n")
		var stdout, stderr bytes.Buffer
		b.Stdout, b.Stderr = &stdout, &stderr
		err := b.Run()
		return stdout.String() + stderr.String(), err
	}
	if out, err := bootstrap(); err != nil || !strings.Contains(out, `created Admin "admin"`) {
		t.Fatalf("bootstrap: %v\n%s", err, out)
	}
	out, err := bootstrap()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "users exist already") {
		t.Fatalf("second bootstrap: %v\n%s", err, out)
	}
	if strings.Contains(out, "bootstrap-password-1") || strings.Contains(logs.String(), "bootstrap-password-1") {
		t.Fatal("the password was printed")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("secretsd exited with %v after SIGTERM, want 0\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("secretsd did not stop within 20s of SIGTERM")
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no stop line:\n%s", logs.String())
	}
}

// runInProcess runs the command line with the given environment.
func runInProcess(t *testing.T, environ []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = run(ctx, args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, environ: environ})
	return code, out.String(), errOut.String()
}

func TestHelpDocumentsTheFileAndEveryVariable(t *testing.T) {
	t.Parallel()
	code, out, _ := runInProcess(t, nil, "", "--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, s := range config.Settings() {
		if !strings.Contains(out, s.Env()) {
			t.Errorf("--help does not document %s", s.Env())
		}
	}
	for _, want := range []string{"--config", "[server]", "[jwt]", "[mfa]", "[kms]", "[audit]", "bootstrap", "serve", "version", config.ConfigEnv} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := runInProcess(t, nil, "", "version")
	if code != 0 || !strings.HasPrefix(out, "secretsd ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestBadConfigurationIsOneClearLine(t *testing.T) {
	t.Parallel()
	code, _, stderr := runInProcess(t, []string{"SECRETSD_JWT_ALGORITHM=HS256"}, "")
	if code != 1 || !strings.Contains(stderr, "jwt.algorithm (from SECRETSD_JWT_ALGORITHM)") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runInProcess(t, nil, "", "--config", filepath.Join(t.TempDir(), "missing.toml"))
	if code != 1 || !strings.Contains(stderr, "missing.toml") {
		t.Fatalf("missing file: exit %d, stderr %q", code, stderr)
	}
}

func TestBootstrapNeedsAPassword(t *testing.T) {
	t.Parallel()
	environ := append(auditEnviron(t), "SECRETSD_STORAGE_PATH="+filepath.Join(t.TempDir(), "s.db"), "SECRETSD_KMS_MASTER_KEY_FILE="+filepath.Join(t.TempDir(), "k"))
	for name, c := range map[string]struct {
		args  []string
		stdin string
		want  string
	}{
		"no username":            {[]string{"bootstrap", "--password-stdin"}, "pw\n", "--username is required"},
		"empty standard input":   {[]string{"bootstrap", "--username", "a", "--password-stdin"}, "", "no password"},
		"not a terminal":         {[]string{"bootstrap", "--username", "a"}, "", "not a terminal"},
		"a password too short":   {[]string{"bootstrap", "--username", "a", "--password-stdin"}, "short\n", "password"},
		"an unexpected argument": {[]string{"bootstrap", "extra"}, "", "unknown command"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runInProcess(t, environ, c.stdin, c.args...)
			if code != 1 || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, c.want)
			}
		})
	}
}

// auditEnviron puts the audit trail, its keys and index in a temporary
// folder (the defaults are relative to the working folder: the repository).
func auditEnviron(t *testing.T) []string {
	dir := t.TempDir()
	return []string{
		"SECRETSD_AUDIT_DIR=" + filepath.Join(dir, "audit"),
		"SECRETSD_AUDIT_PSEUDONYM_KEY=" + filepath.Join(dir, "keys", "pseudonym.key"),
		"SECRETSD_AUDIT_SUBJECT_KEYS=" + filepath.Join(dir, "keys", "subjects.db"),
		"SECRETSD_AUDIT_INDEX=" + filepath.Join(dir, "index.db"),
	}
}

func TestRebuildAuditIndex(t *testing.T) {
	t.Parallel()
	environ := auditEnviron(t)
	code, _, stderr := runInProcess(t, environ, "", "rebuild-audit-index")
	if code != 1 || !strings.Contains(stderr, "audit") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("no trail yet: exit %d, stderr %q", code, stderr)
	}
	if err := os.MkdirAll(strings.TrimPrefix(environ[0], "SECRETSD_AUDIT_DIR="), 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runInProcess(t, environ, "", "rebuild-audit-index")
	if code != 0 || !strings.Contains(out, "rebuilt the audit index") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, _, stderr = runInProcess(t, environ, "", "rebuild-audit-index", "extra")
	if code != 1 || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("an extra argument: exit %d, stderr %q", code, stderr)
	}
}
