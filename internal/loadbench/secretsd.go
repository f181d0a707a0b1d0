package loadbench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/portcullis/portcullis/secretsd/client"
)

// The secretsd part of `make bench` (issue 3, "Performance"): for each
// signing algorithm a fresh secretsd on SQLite, driven by the Go client
// from this process: password logins (Argon2id dominates them), then
// closed-loop refresh-token rotation, each worker on its own session. The
// algorithms are interleaved round by round, as the gateways are, so that a
// noisy stretch of the shared machine does not land on one of them only.

// SecretsdOptions configure MeasureSecretsd.
type SecretsdOptions struct {
	Bin        string   // the secretsd build
	WorkDir    string   // one sub-directory per algorithm: store, master key, log
	Algorithms []string // signing algorithms, one secretsd each
	Argon2     Argon2Params

	Logins       int // logins of each login phase (sequential, then concurrent)
	LoginWorkers int // goroutines of the concurrent login phase
	Sessions     int // refresh workers, one session each

	Duration   time.Duration // of each refresh phase
	Warmup     time.Duration // one unrecorded refresh phase per secretsd
	Rounds     int
	ClockTicks float64 // sysconf(_SC_CLK_TCK)
	Cores      int     // for the CPU ceiling: refreshes/s secretsd's CPU allows on this many cores

	Log io.Writer
}

// SecretsdResult is everything MeasureSecretsd measured.
type SecretsdResult struct {
	Runs     []SecretsdRun
	Memory   map[string]SecretsdMemory
	Rows     []SecretsdRow
	Verdicts []Verdict
}

func (o SecretsdOptions) validate() error {
	switch {
	case o.Bin == "" || o.WorkDir == "":
		return fmt.Errorf("secretsd bench: the secretsd binary and a work directory are required")
	case len(o.Algorithms) == 0:
		return fmt.Errorf("secretsd bench: no algorithm")
	case o.Logins < 1 || o.LoginWorkers < 1 || o.Sessions < 1 || o.Rounds < 1:
		return fmt.Errorf("secretsd bench: logins, login workers, sessions and rounds must be at least 1")
	case o.Duration <= 0:
		return fmt.Errorf("secretsd bench: the refresh duration must be positive")
	}
	return nil
}

// MeasureSecretsd starts one secretsd per algorithm and measures them in
// interleaved rounds. Every process it started is stopped when it returns,
// also when ctx is cancelled (SIGINT).
func MeasureSecretsd(ctx context.Context, o SecretsdOptions) (*SecretsdResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	var daemons []*secretsd
	var whole []*AnonSampler
	defer func() {
		for _, s := range whole {
			s.Stop()
		}
		for _, d := range daemons {
			d.proc.Stop()
		}
	}()
	hc := newBenchHTTPClient(max(o.Sessions, o.LoginWorkers))
	defer hc.CloseIdleConnections()
	clients := make([]*client.Client, 0, len(o.Algorithms))
	idleAnon := map[string]uint64{} // RssAnon of each secretsd started, before any login
	for _, alg := range o.Algorithms {
		fmt.Fprintf(o.Log, "loadbench: starting secretsd with %s signing\n", alg)
		d, err := startSecretsd(ctx, o, alg)
		if err != nil {
			return nil, err
		}
		daemons = append(daemons, d)
		if idleAnon[alg], err = StatusKB(d.proc.Pid(), "RssAnon"); err != nil {
			return nil, fmt.Errorf("%s: %w", d.proc.Name, err)
		}
		whole = append(whole, SampleAnonRSS(d.proc.Pid(), 200*time.Millisecond))
		c, err := client.New(d.url, client.WithHTTPClient(hc), client.WithUserAgent("portcullis-loadbench/1"))
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
	}

	// Each worker keeps its session across rounds: its chain of refresh
	// tokens goes on where the previous phase left it.
	chains := make([][]string, len(daemons))
	for i, d := range daemons {
		fmt.Fprintf(o.Log, "loadbench: %s: logging in %d sessions, then warming up for %s\n", d.alg, o.Sessions, o.Warmup)
		_, refresh, err := runLogins(ctx, clients[i], d, o.Sessions, o.LoginWorkers)
		if err != nil {
			return nil, err
		}
		chains[i] = refresh
		if o.Warmup > 0 {
			ph, err := runRefreshes(ctx, clients[i], d, chains[i], o.Warmup)
			if err != nil {
				return nil, err
			}
			if ph.Errors > 0 {
				return nil, fmt.Errorf("%s: %d refreshes failed during the warm-up, first: %s\n%s", d.proc.Name, ph.Errors, ph.FirstError, d.proc.Log())
			}
		}
	}

	res := &SecretsdResult{Memory: map[string]SecretsdMemory{}}
	refreshAnon := make([]uint64, len(daemons))
	for round := 1; round <= o.Rounds; round++ {
		for i, d := range daemons {
			r := SecretsdRun{Alg: d.alg, Round: round}
			var err error
			if r.Sequential, _, err = runLogins(ctx, clients[i], d, o.Logins, 1); err != nil {
				return nil, err
			}
			if r.Concurrent, _, err = runLogins(ctx, clients[i], d, o.Logins, o.LoginWorkers); err != nil {
				return nil, err
			}
			r.Refresh, err = runRefreshes(ctx, clients[i], d, chains[i], o.Duration)
			if err != nil {
				return nil, err
			}
			// After the phase rather than its peak: the peak is the heap
			// the logins before it left, which the Go runtime returns to
			// the system only gradually.
			kb, err := StatusKB(d.proc.Pid(), "RssAnon")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.proc.Name, err)
			}
			refreshAnon[i] = max(refreshAnon[i], kb)
			res.Runs = append(res.Runs, r)
			fmt.Fprintf(o.Log, "loadbench:   round %d %-6s login p50 %6.1f ms (%d workers: %5.1f/s)  refresh %6.0f/s p50 %5.2f ms p99 %6.2f ms  errors %d\n",
				round, d.alg, Percentile(r.Sequential.LatencyMS, 50), o.LoginWorkers, r.Concurrent.PerSecond(),
				r.Refresh.PerSecond(), Percentile(r.Refresh.LatencyMS, 50), Percentile(r.Refresh.LatencyMS, 99), r.Refresh.Errors)
		}
	}
	for i, d := range daemons {
		kb, err := StatusKB(d.proc.Pid(), "VmHWM")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.proc.Name, err)
		}
		res.Memory[d.alg] = SecretsdMemory{PeakKB: kb, IdleAnonKB: idleAnon[d.alg], PeakAnonKB: whole[i].Stop(), RefreshAnonKB: refreshAnon[i]}
	}
	whole = nil
	res.Rows = SummarizeSecretsd(res.Runs, res.Memory, o.ClockTicks, o.Cores)
	res.Verdicts = CheckSecretsdTargets(res.Rows)
	return res, nil
}
