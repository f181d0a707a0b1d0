package loadbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/secretsd/client"
)

// LoginPhase is one series of password logins against one secretsd.
type LoginPhase struct {
	Workers   int
	LatencyMS []float64 // one per login
	Elapsed   time.Duration
	CPUTicks  uint64 // secretsd's utime+stime during the phase
}

// PerSecond is the phase's throughput.
func (p LoginPhase) PerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(len(p.LatencyMS)) / p.Elapsed.Seconds()
}

// RefreshPhase is one closed-loop refresh run against one secretsd: each
// worker rotates its own session's refresh token.
type RefreshPhase struct {
	Sessions    int
	LatencyMS   []float64 // one per successful refresh
	Errors      int64
	FirstError  string
	Elapsed     time.Duration
	CPUTicks    uint64 // secretsd's utime+stime during the phase
	ClientTicks uint64 // loadbench's own, the load generator's cost
}

// PerSecond is the phase's throughput of successful refreshes.
func (p RefreshPhase) PerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(len(p.LatencyMS)) / p.Elapsed.Seconds()
}

// newBenchHTTPClient is one keep-alive transport for all the load, with
// room for an idle connection per worker, so that the numbers measure
// secretsd rather than TCP handshakes.
func newBenchHTTPClient(workers int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // 127.0.0.1 only; an HTTP_PROXY must not get in between
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no global limit: the per-host one below applies
		MaxIdleConnsPerHost: workers + 8,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// runLogins logs the bench user in n times from workers goroutines and
// returns the phase with the refresh tokens of the new sessions. Any failure
// is fatal: a login that fails measures nothing.
func runLogins(ctx context.Context, c *client.Client, d *secretsd, n, workers int) (LoginPhase, []string, error) {
	ph := LoginPhase{Workers: workers, LatencyMS: make([]float64, n)}
	refresh := make([]string, n)
	before, err := CPUTicks(d.proc.Pid())
	if err != nil {
		return ph, nil, err
	}
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				res, err := c.Login(ctx, benchUser, d.password)
				ph.LatencyMS[i] = ms(time.Since(t0))
				if err == nil && res.Tokens == nil {
					err = errors.New("the bench user got an MFA challenge, want tokens (it has no second factor)")
				}
				if err != nil {
					errs[w] = fmt.Errorf("login %d: %w", i+1, err)
					return
				}
				refresh[i] = res.Tokens.RefreshToken
			}
		})
	}
	wg.Wait()
	ph.Elapsed = time.Since(start)
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return ph, nil, fmt.Errorf("%s: %w\n%s", d.proc.Name, err, d.proc.Log())
	}
	after, err := CPUTicks(d.proc.Pid())
	if err != nil {
		return ph, nil, err
	}
	ph.CPUTicks = after - before
	return ph, refresh, nil
}

// runRefreshes rotates chains (one refresh token per worker) until d has
// passed; each refresh's answer carries the next token, stored back into
// chains for the next phase. A failed refresh is counted and its worker
// logs in again for a new chain: the old one may have been spent on the
// server, and presenting it again would be a reuse.
func runRefreshes(ctx context.Context, c *client.Client, sd *secretsd, chains []string, d time.Duration) (RefreshPhase, error) {
	ph := RefreshPhase{Sessions: len(chains)}
	before, err1 := CPUTicks(sd.proc.Pid())
	selfBefore, err2 := CPUTicks(os.Getpid())
	if err := errors.Join(err1, err2); err != nil {
		return ph, err
	}
	lat := make([][]float64, len(chains))
	var failed atomic.Int64
	var firstErr sync.Once
	fatal := make([]error, len(chains))
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range chains {
		wg.Go(func() {
			// Sized for a fast run, so that appending does not stall it.
			lat[w] = make([]float64, 0, 1024)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				tok, err := c.Refresh(ctx, chains[w])
				elapsed := time.Since(t0)
				if err == nil {
					lat[w] = append(lat[w], ms(elapsed))
					chains[w] = tok.RefreshToken
					continue
				}
				if ctx.Err() != nil {
					return
				}
				failed.Add(1)
				firstErr.Do(func() { ph.FirstError = err.Error() })
				res, lerr := c.Login(ctx, benchUser, sd.password)
				if lerr == nil && res.Tokens == nil {
					lerr = errors.New("MFA challenge instead of tokens")
				}
				if lerr != nil {
					fatal[w] = fmt.Errorf("logging in again after a failed refresh (%v): %w", err, lerr)
					return
				}
				chains[w] = res.Tokens.RefreshToken
			}
		})
	}
	wg.Wait()
	ph.Elapsed = time.Since(start)
	if err := errors.Join(append(fatal, ctx.Err())...); err != nil {
		return ph, fmt.Errorf("%s: %w\n%s", sd.proc.Name, err, sd.proc.Log())
	}
	after, err1 := CPUTicks(sd.proc.Pid())
	selfAfter, err2 := CPUTicks(os.Getpid())
	if err := errors.Join(err1, err2); err != nil {
		return ph, err
	}
	ph.CPUTicks, ph.ClientTicks = after-before, selfAfter-selfBefore
	ph.Errors = failed.Load()
	for _, l := range lat {
		ph.LatencyMS = append(ph.LatencyMS, l...)
	}
	return ph, nil
}
