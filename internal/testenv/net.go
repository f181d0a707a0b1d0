package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Ports are taken from below Linux's ephemeral range (32768–60999), so that
// no outgoing connection of the machine can take one between FreePort and
// the server binding it.
const (
	portLow  = 20000
	portHigh = 32000
)

var (
	portLocksMu sync.Mutex
	portLocks   []*os.File // held until the process exits
)

// FreePort returns a loopback TCP port that is free and reserved for this
// test process. Caddy binds with SO_REUSEPORT, so two test processes (go test
// runs packages in parallel) handed the same port would silently share it:
// every port is therefore reserved with an flock on a file that all test
// processes of the machine agree on, released when the process exits.
func FreePort(t testing.TB) int {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "portcullis-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for range 1000 {
		port := portLow + rand.IntN(portHigh-portLow)
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprint(port)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			t.Fatalf("testenv: reserving a port: %v", err)
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // another test process holds it
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			f.Close() // in use by something else
			continue
		}
		l.Close()
		portLocksMu.Lock()
		portLocks = append(portLocks, f)
		portLocksMu.Unlock()
		return port
	}
	t.Fatalf("testenv: no free port in [%d, %d)", portLow, portHigh)
	return 0
}

// WaitFor polls cond until it holds or the timeout passes, then fails the
// test naming what it waited for. It is for readiness of external processes,
// which give no signal to await.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(delay)
	}
}
