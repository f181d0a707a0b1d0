// Command loadbench is the driver of `make bench` (scripts/bench.sh): see
// internal/loadbench.
//
//	loadbench run [flags]       bare reverse_proxy vs the chain under wrk; prints the table
//	loadbench secretsd [flags]  secretsd's logins and token refreshes per signing algorithm; appends its tables
//	loadbench gobench FILE      checks `go test -bench` output against the per-handler and secretsd budgets
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/loadbench"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadbench run [flags] | loadbench secretsd [flags] | loadbench gobench FILE")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "secretsd":
		err = secretsd(os.Args[2:])
	case "gobench":
		err = gobench(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want run, secretsd or gobench)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var o loadbench.Options
	var out, amr, groups string
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	fs.StringVar(&o.CaddyBin, "caddy", ".build/caddy", "our Caddy build")
	fs.StringVar(&o.UpstreamBin, "upstream", ".build/demo-upstream", "the demo upstream binary")
	fs.StringVar(&o.WrkBin, "wrk", "wrk", "wrk binary")
	fs.StringVar(&o.HeyBin, "hey", "", "hey binary for the fixed-rate latency runs (empty: skip them)")
	fs.IntVar(&o.FixedRate, "fixed-rate", 800, "requests per second of the fixed-rate latency runs (well below saturation)")
	fs.IntVar(&o.FixedRateWorkers, "fixed-rate-workers", 8, "hey workers sharing the fixed rate")
	fs.StringVar(&o.WorkDir, "workdir", "", "directory for Caddyfiles, logs and scripts (required)")
	fs.StringVar(&o.TokenDir, "token-dir", ".build/bench-tokens", "where signed token sets are kept between runs (one sub-directory per algorithm and count)")
	fs.StringVar(&o.PoliciesDir, "policies", "policies", "Cedar policies directory")
	fs.StringVar(&o.Environment, "environment", "production", "cedar_authz environment")
	fs.StringVar(&o.RedisURL, "redis", os.Getenv("REDIS_URL"), "Redis URL for the Redis-limiter configuration")
	fs.StringVar(&o.Path, "path", "/api/projects/1", "request path of the load")
	fs.StringVar(&o.Issuer, "issuer", devtoken.DefaultIssuer, "token issuer")
	fs.StringVar(&o.Audience, "audience", devtoken.DefaultAudience, "token audience")
	fs.IntVar(&o.Threads, "threads", 2, "wrk threads")
	fs.IntVar(&o.Connections, "connections", 32, "wrk connections")
	fs.DurationVar(&o.Duration, "duration", 6*time.Second, "length of each measured run")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "length of the warm-up run per gateway and load")
	fs.IntVar(&o.Rounds, "rounds", 3, "interleaved rounds")
	fs.Float64Var(&o.ClockTicks, "clk-tck", 100, "clock ticks per second (getconf CLK_TCK)")
	fs.StringVar(&o.Tokens.Alg, "alg", "RS256", "signing algorithm of the tokens")
	fs.IntVar(&o.Tokens.Count, "tokens", 100_000, "distinct tokens for the per-request load")
	fs.DurationVar(&o.Tokens.TTL, "token-ttl", 12*time.Hour, "lifetime of the bench tokens (they are kept between runs)")
	fs.StringVar(&o.Tokens.Role, "role", "Developer", "role claim of the tokens")
	fs.StringVar(&o.Tokens.Team, "team", "platform", "team claim of the tokens")
	fs.StringVar(&amr, "amr", "pwd,otp", "amr claim of the tokens, comma-separated")
	fs.StringVar(&groups, "groups", "", "groups claim of the tokens, comma-separated")
	fs.IntVar(&o.Workers, "workers", runtime.GOMAXPROCS(0), "goroutines minting tokens")
	fs.StringVar(&out, "out", ".build/bench.txt", "file that receives the report too")
	_ = fs.Parse(args)
	if o.WorkDir == "" {
		return fmt.Errorf("-workdir is required")
	}
	// One set per algorithm and size, so that a quick run with few tokens
	// does not replace the costly full set.
	o.TokenDir = filepath.Join(o.TokenDir, fmt.Sprintf("%s-%d", o.Tokens.Alg, o.Tokens.Count))
	// Processes run in the work directory: make every path absolute.
	for _, p := range []*string{&o.CaddyBin, &o.UpstreamBin, &o.WorkDir, &o.TokenDir, &o.PoliciesDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	o.Tokens.AMR = splitList(amr)
	o.Tokens.Groups = splitList(groups)
	o.Log = os.Stderr

	// SIGINT/SIGTERM cancel the runs; deferred Stops then end every process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadbench.Measure(ctx, o)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "make bench, %s, %d CPUs\n", time.Now().Format(time.RFC3339), runtime.NumCPU())
	_, err = loadbench.WriteReport(io.MultiWriter(os.Stdout, f), o, res)
	return err
}

func gobench(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("gobench wants the file holding `go test -bench` output")
	}
	raw, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	results, err := loadbench.ParseGoBench(string(raw))
	if err != nil {
		return err
	}
	vs := loadbench.CheckGoTargets(results, loadbench.GoTargets)
	failed, err := loadbench.WriteVerdicts(os.Stdout, vs)
	if err != nil {
		return err
	}
	fmt.Printf("%d of %d Go benchmark targets met (%d Go benchmarks read)\n", len(vs)-failed, len(vs), len(results))
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
