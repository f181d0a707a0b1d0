package loadbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Process is a program the benchmark started; Stop ends it.
type Process struct {
	Name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// Pid is the process id, for /proc.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// StartProcess runs bin with args, its output going to logFile.
func StartProcess(name, logFile, bin string, args ...string) (*Process, error) {
	return StartProcessEnv(name, logFile, os.Environ(), bin, args...)
}

// StartProcessEnv is StartProcess with env as the process's environment
// instead of loadbench's own.
func StartProcessEnv(name, logFile string, env []string, bin string, args ...string) (*Process, error) {
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = filepath.Dir(logFile)
	// Caddy writes autosaves and certificates under HOME/XDG dirs: keep
	// them in the benchmark's temporary directory.
	cmd.Env = append(slices.Clip(env), "HOME="+cmd.Dir, "XDG_DATA_HOME="+cmd.Dir, "XDG_CONFIG_HOME="+cmd.Dir)
	// Should loadbench itself be killed (SIGKILL, a test binary that
	// exits), the kernel stops what it started rather than leaving servers
	// running on the machine.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); out.Close(); close(p.done) }()
	return p, nil
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Log returns the end of the process's output, for error messages.
func (p *Process) Log() string {
	raw, _ := os.ReadFile(p.log)
	s := string(raw)
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// Stop sends SIGTERM, then SIGKILL if the process has not ended in 5 s.
func (p *Process) Stop() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// WaitHTTP polls url until it answers with any status, the process exits or
// the deadline passes.
func WaitHTTP(ctx context.Context, p *Process, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during start-up:\n%s", p.Name, p.Log())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s within %s:\n%s", p.Name, url, timeout, p.Log())
		case <-tick.C:
		}
	}
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ErrUnknownDirective means the Caddy build does not have a directive's
// module (its handler is not written yet).
var ErrUnknownDirective = errors.New("directive not in this Caddy build")

// CheckDirective adapts a site holding only the directive's block, so a
// missing module and a syntax the handler does not accept are told apart.
func CheckDirective(caddyBin, dir, name string, s ChainSettings) error {
	g := Gateway{AdminPort: 1, Port: 1, Upstream: "127.0.0.1:1", Chain: []string{name}, ChainSettings: s,
		AuditDir: filepath.Join(dir, "check-audit", "trail")}
	path := filepath.Join(dir, "check-"+name+".Caddyfile")
	if err := os.WriteFile(path, []byte(g.Caddyfile()), 0o600); err != nil {
		return err
	}
	out, err := exec.Command(caddyBin, "adapt", "--config", path, "--adapter", "caddyfile").CombinedOutput()
	if err == nil {
		return nil
	}
	if strings.Contains(string(out), "unrecognized directive: "+name) {
		return ErrUnknownDirective
	}
	return fmt.Errorf("caddy adapt of the %s block failed: %v\n%s", name, err, out)
}
