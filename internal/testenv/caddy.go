package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// CaddyBinary returns the path of our Caddy build: $PORTCULLIS_CADDY when set
// (`make test` builds it once for all packages), else it is built once per
// test process.
func CaddyBinary(t testing.TB) string {
	t.Helper()
	return binary(t, "PORTCULLIS_CADDY", "caddy")
}

var (
	buildMu sync.Mutex
	built   = map[string]string{} // cmd name -> path, built once per test process
)

// binary returns $env when set, else builds ./cmd/<name> once per process.
func binary(t testing.TB, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testenv: %s=%s: %v", env, p, err)
		}
		return p
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "portcullis-"+name+"-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", path, "github.com/portcullis/portcullis/cmd/"+name)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: go build ./cmd/%s: %v\n%s", name, err, out)
	}
	built[name] = path
	return path
}

// Caddy is a running gateway process.
type Caddy struct {
	t         testing.TB
	AdminPort int
	dir       string
	cmd       *exec.Cmd
	logs      *LogBuffer
	done      chan struct{}
}

// StartCaddy runs the built Caddy on caddyfile and waits until its admin
// endpoint answers. An `admin` address on a free port and `persist_config off`
// are added to the global options so that several instances can run at once.
// The process is stopped when the test ends; its log is printed if the test
// failed.
func StartCaddy(t testing.TB, caddyfile string) *Caddy {
	t.Helper()
	c := &Caddy{t: t, AdminPort: FreePort(t), dir: t.TempDir(), logs: &LogBuffer{}, done: make(chan struct{})}
	path := filepath.Join(c.dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(c.withTestGlobals(caddyfile)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(CaddyBinary(t), "run", "--config", path, "--adapter", "caddyfile")
	c.cmd.Dir = c.dir
	c.cmd.Env = append(os.Environ(), "HOME="+c.dir, "XDG_DATA_HOME="+c.dir, "XDG_CONFIG_HOME="+c.dir)
	c.cmd.Stdout = c.logs
	c.cmd.Stderr = c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("testenv: starting caddy: %v", err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("caddy log:\n%s", c.Logs())
		}
	})
	WaitFor(t, 30*time.Second, "caddy admin endpoint", func() bool {
		select {
		case <-c.done:
			t.Fatalf("testenv: caddy exited during start-up:\n%s", c.Logs())
		default:
		}
		resp, err := http.Get(c.AdminURL() + "/config/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return c
}

func (c *Caddy) withTestGlobals(caddyfile string) string {
	globals := fmt.Sprintf("\tadmin 127.0.0.1:%d\n\tpersist_config off\n", c.AdminPort)
	// Find the global options block: the first line that is not blank or a comment.
	offset := 0
	for _, line := range strings.SplitAfter(caddyfile, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			offset += len(line)
			continue
		}
		if trimmed == "{" {
			brace := offset + strings.Index(line, "{")
			return caddyfile[:brace+1] + "\n" + globals + caddyfile[brace+1:]
		}
		break
	}
	return "{\n" + globals + "}\n" + caddyfile
}

// AdminURL is the base URL of the instance's admin API.
func (c *Caddy) AdminURL() string { return fmt.Sprintf("http://127.0.0.1:%d", c.AdminPort) }

// Reload loads a new Caddyfile through the admin API, as `caddy reload` does,
// and returns the admin API's answer when it refuses it.
func (c *Caddy) Reload(caddyfile string) error {
	req, _ := http.NewRequest(http.MethodPost, c.AdminURL()+"/load", strings.NewReader(c.withTestGlobals(caddyfile)))
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reload refused: %s: %s", resp.Status, body)
	}
	// The old config's servers close their keep-alive connections; a test's
	// next request must not pick one of those up and read EOF.
	if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
	return nil
}

// Logs returns everything the process wrote so far.
func (c *Caddy) Logs() string { return c.logs.String() }

// WaitLog waits until the log contains substr.
func (c *Caddy) WaitLog(substr string, timeout time.Duration) {
	c.t.Helper()
	WaitFor(c.t, timeout, fmt.Sprintf("caddy log line containing %q", substr), func() bool {
		return strings.Contains(c.Logs(), substr)
	})
}

// Pid is the process id (for reading its CPU time and RSS).
func (c *Caddy) Pid() int { return c.cmd.Process.Pid }

// Stop stops the process gracefully, then kills it if it lingers.
func (c *Caddy) Stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// LogBuffer collects what a process or a server's goroutines write; it is
// safe for concurrent writers and readers.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
