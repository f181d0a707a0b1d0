package loadbench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Argon2Params are the password-hashing parameters secretsd is started
// with, passed explicitly so that the report states what was measured.
type Argon2Params struct {
	MemoryKiB   int
	Iterations  int
	Parallelism int
}

// DefaultArgon2 are secretsd's defaults (SECRETSD_PASSWORD_*).
var DefaultArgon2 = Argon2Params{MemoryKiB: 65536, Iterations: 2, Parallelism: 1}

func (p Argon2Params) String() string {
	return fmt.Sprintf("m=%d KiB, t=%d, p=%d", p.MemoryKiB, p.Iterations, p.Parallelism)
}

// benchUser is the Admin every secretsd under test is bootstrapped with.
const benchUser = "bench"

// secretsd is one daemon under test, with its own store and master key.
type secretsd struct {
	alg      string
	proc     *Process
	url      string
	env      []string
	password string
}

// SecretsdEnv is the environment of a secretsd under test: loadbench's own
// without any SECRETSD_* setting (a developer's must not leak in), then
// the benchmark's settings.
func SecretsdEnv(base []string, listen, dir, alg string, a Argon2Params) []string {
	var env []string
	for _, kv := range base {
		if !strings.HasPrefix(kv, "SECRETSD_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"SECRETSD_SERVER_LISTEN="+listen,
		"SECRETSD_STORAGE_DRIVER=sqlite",
		"SECRETSD_STORAGE_PATH="+filepath.Join(dir, "secretsd.db"),
		"SECRETSD_KMS_MASTER_KEY_FILE="+filepath.Join(dir, "master.key"),
		"SECRETSD_JWT_ALGORITHM="+alg,
		"SECRETSD_PASSWORD_MEMORY_KIB="+fmt.Sprint(a.MemoryKiB),
		"SECRETSD_PASSWORD_ITERATIONS="+fmt.Sprint(a.Iterations),
		"SECRETSD_PASSWORD_PARALLELISM="+fmt.Sprint(a.Parallelism),
		// The audit events of every login and refresh are info lines: at
		// warn they are not written, as a loaded production node would not
		// write them to a terminal either.
		"SECRETSD_LOG_LEVEL=warn",
	)
}

// startSecretsd starts `secretsd serve` for alg in workDir/alg, waits until
// /healthz answers 200 and bootstraps the bench Admin.
func startSecretsd(ctx context.Context, o SecretsdOptions, alg string) (*secretsd, error) {
	dir := filepath.Join(o.WorkDir, alg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	d := &secretsd{alg: alg, url: "http://" + listen, env: SecretsdEnv(os.Environ(), listen, dir, alg, o.Argon2)}
	if d.proc, err = StartProcessEnv("secretsd "+alg, filepath.Join(dir, "secretsd.log"), d.env, o.Bin, "serve"); err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, d, 30*time.Second); err != nil {
		d.proc.Stop()
		return nil, err
	}
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	d.password = "bench-" + hex.EncodeToString(pw[:])
	cmd := exec.CommandContext(ctx, o.Bin, "bootstrap", "--username", benchUser, "--password-stdin")
	cmd.Dir, cmd.Env = dir, d.env
	cmd.Stdin = strings.NewReader(d.password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		d.proc.Stop()
		return nil, fmt.Errorf("secretsd bootstrap (%s): %v\n%s", alg, err, out)
	}
	return d, nil
}

// waitHealthy polls /healthz until it answers 200 (the store is open and
// the signing key loaded), the process exits or the timeout passes.
func waitHealthy(ctx context.Context, d *secretsd, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := "no answer"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.url+"/healthz", nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		}
		select {
		case <-d.proc.done:
			return fmt.Errorf("%s exited during start-up:\n%s", d.proc.Name, d.proc.Log())
		case <-ctx.Done():
			return fmt.Errorf("%s: /healthz not 200 within %s (last: %s):\n%s", d.proc.Name, timeout, last, d.proc.Log())
		case <-tick.C:
		}
	}
}
