package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// SecretsdBinary returns the path of the secretsd build: $PORTCULLIS_SECRETSD
// when set (`make test` builds it once), else it is built once per process.
func SecretsdBinary(t testing.TB) string {
	t.Helper()
	return binary(t, "PORTCULLIS_SECRETSD", "secretsd")
}

// Secretsd is a running secretsd process.
type Secretsd struct {
	t    testing.TB
	URL  string // http://127.0.0.1:<port>
	Dir  string // its working directory (SQLite file, master key)
	Env  []string
	cmd  *exec.Cmd
	logs *LogBuffer
	done chan struct{}
}

// SecretsdOptions configure StartSecretsd.
type SecretsdOptions struct {
	// Postgres selects a fresh PostgreSQL schema instead of a SQLite file.
	Postgres bool
	// RedisURL, when set, shares revocations and MFA counters through Redis.
	RedisURL string
	// Env adds or overrides SECRETSD_* settings.
	Env []string
}

// StartSecretsd runs the built secretsd on a free port with a fresh store and
// master key in a temporary directory, and waits until /healthz answers 200.
// It is stopped (SIGTERM) when the test ends; its log is printed if the test
// failed.
func StartSecretsd(t testing.TB, opts SecretsdOptions) *Secretsd {
	t.Helper()
	dir := t.TempDir()
	port := FreePort(t)
	s := &Secretsd{t: t, URL: fmt.Sprintf("http://127.0.0.1:%d", port), Dir: dir, logs: &LogBuffer{}, done: make(chan struct{})}
	s.Env = []string{
		"SECRETSD_SERVER_LISTEN=127.0.0.1:" + fmt.Sprint(port),
		"SECRETSD_SERVER_PUBLIC_URL=" + s.URL,
		"SECRETSD_KMS_MASTER_KEY_FILE=" + filepath.Join(dir, "master.key"),
		"SECRETSD_MFA_WEBAUTHN_ORIGINS=" + s.URL,
		"SECRETSD_LOG_FORMAT=json",
	}
	if opts.Postgres {
		// A fresh schema, dropped when the test ends (storetest fails the
		// test, never skips, when PostgreSQL is not reachable).
		pg := storetest.PostgresConfig(t)
		s.Env = append(s.Env, "SECRETSD_STORAGE_DRIVER=postgres", "SECRETSD_STORAGE_DSN="+pg.DSN, "SECRETSD_STORAGE_SCHEMA="+pg.Schema)
	} else {
		s.Env = append(s.Env, "SECRETSD_STORAGE_DRIVER=sqlite", "SECRETSD_STORAGE_PATH="+filepath.Join(dir, "secretsd.db"))
	}
	if opts.RedisURL != "" {
		s.Env = append(s.Env, "SECRETSD_REDIS_URL="+opts.RedisURL)
	}
	s.Env = append(s.Env, opts.Env...)
	s.cmd = exec.Command(SecretsdBinary(t), "serve")
	s.cmd.Dir = dir
	s.cmd.Env = append(cleanEnv(), s.Env...)
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("testenv: starting secretsd: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("secretsd log:\n%s", s.Logs())
		}
	})
	WaitFor(t, 30*time.Second, "secretsd /healthz", func() bool {
		select {
		case <-s.done:
			t.Fatalf("testenv: secretsd exited during start-up:\n%s", s.Logs())
		default:
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// cleanEnv is the test's environment without SECRETSD_* settings, so that a
// developer's own do not leak into the process under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SECRETSD_") {
			env = append(env, kv)
		}
	}
	return env
}

// Bootstrap creates the first Admin with `secretsd bootstrap`, against the
// same store as the running process.
func (s *Secretsd) Bootstrap(username, password string) {
	s.t.Helper()
	cmd := exec.Command(SecretsdBinary(s.t), "bootstrap", "--username", username, "--password-stdin")
	cmd.Dir = s.Dir
	cmd.Env = append(cleanEnv(), s.Env...)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("testenv: secretsd bootstrap: %v\n%s", err, out)
	}
}

// Logs returns everything the process wrote so far.
func (s *Secretsd) Logs() string { return s.logs.String() }

// Pid is the process id.
func (s *Secretsd) Pid() int { return s.cmd.Process.Pid }

// Stop stops the process gracefully, then kills it if it lingers.
func (s *Secretsd) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
