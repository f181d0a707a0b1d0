package loadbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Options configure one benchmark run.
type Options struct {
	CaddyBin    string // our Caddy build
	UpstreamBin string // the demo upstream
	WrkBin      string
	HeyBin      string // hey, for the fixed-rate latency runs; empty skips them
	WorkDir     string // temporary files: Caddyfiles, logs, scripts
	TokenDir    string // where the token set is kept between runs
	PoliciesDir string // the repo's Cedar policies
	Environment string // cedar_authz environment
	RedisURL    string // Redis for the Redis-limiter configuration
	Path        string // the request path of the load
	Issuer      string
	Audience    string

	Threads     int
	Connections int
	Duration    time.Duration // of each measured run
	Warmup      time.Duration // of one unrecorded run per gateway and load
	Rounds      int
	ClockTicks  float64 // sysconf(_SC_CLK_TCK)

	FixedRate        int // total requests per second of the fixed-rate runs
	FixedRateWorkers int // hey workers sharing that rate

	Tokens  TokenSpec
	Workers int // for minting tokens
	Log     io.Writer
}

// Result is everything the benchmark measured.
type Result struct {
	Chain     []string // handlers in the chain configurations
	Missing   []string // chain handlers not in this Caddy build
	Skipped   []string // configurations that could not run, with the reason
	Tokens    TokenSet
	Runs      []Run
	FixedRate []FixedRate
	Rows      []Row
	Verdicts  []Verdict
}

type gateway struct {
	config  string
	proc    *Process
	url     string
	offsets int64 // tokens of the distinct load sent so far
}

// Measure measures bare reverse_proxy and the chain configurations under both
// loads, in interleaved rounds.
func Measure(ctx context.Context, o Options) (*Result, error) {
	res := &Result{}
	tokens, err := PrepareTokens(o.TokenDir, o.Tokens, time.Now(), o.Workers, o.Log)
	if err != nil {
		return nil, err
	}
	res.Tokens = tokens
	scripts, err := WriteScripts(o.WorkDir)
	if err != nil {
		return nil, err
	}
	settings := ChainSettings{JWKSFile: tokens.JWKSFile, Issuer: o.Issuer, Audience: o.Audience,
		PoliciesDir: o.PoliciesDir, Environment: o.Environment}
	for _, d := range KnownDirectives {
		switch err := CheckDirective(o.CaddyBin, o.WorkDir, d, settings); {
		case err == nil:
			res.Chain = append(res.Chain, d)
		case errors.Is(err, ErrUnknownDirective):
			res.Missing = append(res.Missing, d)
		default:
			return nil, err
		}
	}
	configs := []string{ConfigBare, ConfigLocal}
	switch {
	case o.RedisURL == "":
		res.Skipped = append(res.Skipped, ConfigRedis+": no Redis URL")
	case !slices.Contains(res.Chain, "rate_limit"):
		res.Skipped = append(res.Skipped, ConfigRedis+": rate_limit is not in this Caddy build")
	default:
		configs = append(configs, ConfigRedis)
	}

	upPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	upstreamAddr := fmt.Sprintf("127.0.0.1:%d", upPort)
	upstream, err := StartProcess("demo-upstream", filepath.Join(o.WorkDir, "upstream.log"), o.UpstreamBin, "-listen", upstreamAddr)
	if err != nil {
		return nil, err
	}
	defer upstream.Stop()
	if err := WaitHTTP(ctx, upstream, "http://"+upstreamAddr+"/healthz", 10*time.Second); err != nil {
		return nil, err
	}

	rss := map[RowKey]RSS{}
	distinct := map[RowKey]int64{}
	for _, load := range []Load{LoadReusedToken, LoadDistinctToken} {
		// Fresh gateways for each load, so each one's peak RSS belongs to
		// that load alone and no cache carries over.
		gws, err := startGateways(ctx, o, configs, res.Chain, upstreamAddr, settings, load)
		if err != nil {
			return nil, err
		}
		err = measureLoad(ctx, o, load, gws, scripts[load], tokens, res, rss, distinct)
		if err == nil && load == LoadReusedToken && o.HeyBin != "" {
			err = measureFixedRate(ctx, o, gws, tokens.Reused, res)
		}
		for _, g := range gws {
			g.proc.Stop()
		}
		if err != nil {
			return nil, err
		}
	}
	res.Rows = Summarize(res.Runs, rss, distinct, o.ClockTicks)
	res.Verdicts = append(CheckGatewayTargets(res.Rows), CheckFixedRateTargets(res.FixedRate)...)
	return res, nil
}

func startGateways(ctx context.Context, o Options, configs, chain []string, upstream string, s ChainSettings, load Load) ([]*gateway, error) {
	var gws []*gateway
	stopAll := func() {
		for _, g := range gws {
			g.proc.Stop()
		}
	}
	for i, c := range configs {
		adminPort, err1 := FreePort()
		port, err2 := FreePort()
		if err := errors.Join(err1, err2); err != nil {
			stopAll()
			return nil, err
		}
		g := Gateway{AdminPort: adminPort, Port: port, Upstream: upstream, ChainSettings: s}
		if c != ConfigBare {
			g.Chain = chain
		}
		if c == ConfigRedis {
			g.RedisURL = o.RedisURL
		}
		name := fmt.Sprintf("gateway-%d-%d", i, map[Load]int{LoadReusedToken: 1, LoadDistinctToken: 2}[load])
		g.AuditDir = filepath.Join(o.WorkDir, name+"-audit", "trail")
		cfgPath := filepath.Join(o.WorkDir, name+".Caddyfile")
		if err := os.WriteFile(cfgPath, []byte(g.Caddyfile()), 0o600); err != nil {
			stopAll()
			return nil, err
		}
		p, err := StartProcess(c, filepath.Join(o.WorkDir, name+".log"), o.CaddyBin, "run", "--config", cfgPath, "--adapter", "caddyfile")
		if err != nil {
			stopAll()
			return nil, err
		}
		gws = append(gws, &gateway{config: c, proc: p, url: fmt.Sprintf("http://127.0.0.1:%d%s", port, o.Path)})
		if err := WaitHTTP(ctx, p, fmt.Sprintf("http://127.0.0.1:%d/config/", adminPort), 30*time.Second); err != nil {
			stopAll()
			return nil, err
		}
	}
	return gws, nil
}

func measureLoad(ctx context.Context, o Options, load Load, gws []*gateway, script string, tokens TokenSet, res *Result, rss map[RowKey]RSS, distinct map[RowKey]int64) error {
	fmt.Fprintf(o.Log, "loadbench: load %q: checking and warming up %d gateways\n", load, len(gws))
	samplers := make([]*AnonSampler, len(gws))
	for i, g := range gws {
		samplers[i] = SampleAnonRSS(g.proc.Pid(), 200*time.Millisecond)
	}
	defer func() {
		for _, s := range samplers {
			if s != nil {
				s.Stop()
			}
		}
	}()
	for _, g := range gws {
		if err := smokeTest(ctx, g, tokens.Reused); err != nil {
			return err
		}
		if _, err := runWrk(ctx, o, load, g, script, tokens, o.Warmup); err != nil {
			return err
		}
	}
	for round := 1; round <= o.Rounds; round++ {
		for _, g := range gws {
			before, err := CPUTicks(g.proc.Pid())
			if err != nil {
				return fmt.Errorf("%s: %w", g.config, err)
			}
			rep, err := runWrk(ctx, o, load, g, script, tokens, o.Duration)
			if err != nil {
				return err
			}
			after, err := CPUTicks(g.proc.Pid())
			if err != nil {
				return fmt.Errorf("%s: %w", g.config, err)
			}
			res.Runs = append(res.Runs, Run{Config: g.config, Load: load, Round: round, Report: rep, CPUTicks: after - before})
			fmt.Fprintf(o.Log, "loadbench:   round %d %-22s %8.0f req/s  p50 %.2f ms  p99 %.2f ms\n",
				round, g.config, rep.RPS(), rep.LatencyUS.P50/1e3, rep.LatencyUS.P99/1e3)
		}
	}
	if load == LoadDistinctToken {
		if err := sendAllTokens(ctx, o, gws, script, tokens, res.Runs); err != nil {
			return err
		}
	}
	for i, g := range gws {
		kb, err := StatusKB(g.proc.Pid(), "VmHWM")
		if err != nil {
			return fmt.Errorf("%s: %w", g.config, err)
		}
		key := RowKey{g.config, load}
		rss[key] = RSS{PeakKB: kb, PeakAnonKB: samplers[i].Stop()}
		samplers[i] = nil
		if load == LoadDistinctToken {
			distinct[key] = min(g.offsets, int64(tokens.Spec.Count))
		}
	}
	return nil
}

// sendAllTokens makes sure each chain gateway has been sent every token of
// the set before its memory is read, so that the RSS figure is the one after
// that many distinct tokens (issue 2: 100,000 must not grow memory past the
// budget). When the measured rounds did not get through the file, unrecorded
// runs send the rest.
func sendAllTokens(ctx context.Context, o Options, gws []*gateway, script string, tokens TokenSet, runs []Run) error {
	want := int64(tokens.Spec.Count)
	for _, g := range gws {
		if g.config == ConfigBare {
			continue
		}
		for attempt := 0; attempt < 3 && g.offsets < want; attempt++ {
			rps := 1000.0
			for _, r := range runs {
				if r.Config == g.config && r.Load == LoadDistinctToken {
					rps = max(r.Report.RPS(), 100)
				}
			}
			remaining := want - g.offsets
			d := time.Duration(float64(remaining)/rps*1.1*float64(time.Second)) + time.Second
			d = min(d, 90*time.Second)
			fmt.Fprintf(o.Log, "loadbench:   sending the %d tokens not yet sent to %s (%s, not recorded)\n", remaining, g.config, d.Round(time.Second))
			if _, err := runWrk(ctx, o, LoadDistinctToken, g, script, tokens, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// runWrk runs wrk against g and refuses a run with error answers: a gateway
// that answers 401 fast would otherwise look like a fast gateway.
func runWrk(ctx context.Context, o Options, load Load, g *gateway, script string, tokens TokenSet, d time.Duration) (WrkReport, error) {
	w := WrkRun{URL: g.url, Threads: o.Threads, Connections: o.Connections, Duration: d, Script: script}
	if load == LoadReusedToken {
		w.Token = tokens.Reused
	} else {
		w.TokensFile, w.Offset = tokens.TokensFile, g.offsets%int64(tokens.Spec.Count)
	}
	ctx, cancel := context.WithTimeout(ctx, d+60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, o.WrkBin, w.Args()...).CombinedOutput()
	if err != nil {
		return WrkReport{}, fmt.Errorf("wrk against %s: %v\n%s", g.config, err, out)
	}
	rep, err := ParseWrkReport(string(out))
	if err != nil {
		return rep, fmt.Errorf("wrk against %s: %w\n%s", g.config, err, out)
	}
	g.offsets += rep.Requests
	// An error status means the gateway refused the load (a wrong token,
	// policy or limit): the run would measure error paths, so it is fatal.
	// Time-outs and socket errors happen on an overloaded machine; they are
	// counted in the table instead.
	if rep.Errors.Status > 0 {
		return rep, fmt.Errorf("wrk against %s (%s): %d of %d answers had an error status; gateway log:\n%s",
			g.config, load, rep.Errors.Status, rep.Requests, g.proc.Log())
	}
	return rep, nil
}

// smokeTest sends one request as the load will and requires a 200.
func smokeTest(ctx context.Context, g *gateway, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", g.config, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answers %s with %d, want 200 (the bench token must be allowed): %s",
			g.config, g.url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
