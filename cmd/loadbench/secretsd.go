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
	"syscall"
	"time"

	"github.com/portcullis/portcullis/internal/loadbench"
)

// secretsd runs `loadbench secretsd`: see loadbench.MeasureSecretsd. The
// report is printed and appended to -out, after the gateway part's.
func secretsd(args []string) error {
	o := loadbench.SecretsdOptions{Argon2: loadbench.DefaultArgon2}
	var out, algs string
	fs := flag.NewFlagSet("secretsd", flag.ExitOnError)
	fs.StringVar(&o.Bin, "secretsd", ".build/secretsd", "the secretsd build")
	fs.StringVar(&o.WorkDir, "workdir", "", "directory for the stores, master keys and logs (required)")
	fs.StringVar(&algs, "algs", "RS256,ES256,EdDSA", "signing algorithms, one secretsd each, comma-separated")
	fs.IntVar(&o.Argon2.MemoryKiB, "argon2-memory", o.Argon2.MemoryKiB, "Argon2id memory in KiB (SECRETSD_PASSWORD_MEMORY_KIB)")
	fs.IntVar(&o.Argon2.Iterations, "argon2-iterations", o.Argon2.Iterations, "Argon2id passes (SECRETSD_PASSWORD_ITERATIONS)")
	fs.IntVar(&o.Argon2.Parallelism, "argon2-parallelism", o.Argon2.Parallelism, "Argon2id lanes (SECRETSD_PASSWORD_PARALLELISM)")
	fs.IntVar(&o.Logins, "logins", 20, "logins of each login phase (sequential, then concurrent)")
	fs.IntVar(&o.LoginWorkers, "login-workers", 2, "workers of the concurrent login phase")
	fs.IntVar(&o.Sessions, "sessions", 32, "refresh workers, one session each")
	fs.DurationVar(&o.Duration, "duration", 6*time.Second, "length of each refresh phase")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unrecorded refresh phase per secretsd before the rounds")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds, interleaved across the algorithms")
	fs.Float64Var(&o.ClockTicks, "clk-tck", 100, "clock ticks per second (getconf CLK_TCK)")
	fs.IntVar(&o.Cores, "cores", runtime.NumCPU(), "cores the CPU ceiling is computed for")
	fs.StringVar(&out, "out", ".build/bench.txt", "file the report is appended to")
	_ = fs.Parse(args)
	if o.WorkDir == "" {
		return fmt.Errorf("-workdir is required")
	}
	o.Algorithms = splitList(algs)
	for _, p := range []*string{&o.Bin, &o.WorkDir} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	o.Log = os.Stderr

	// SIGINT/SIGTERM cancel the load; deferred Stops then end every secretsd.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadbench.MeasureSecretsd(ctx, o)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	w := io.MultiWriter(os.Stdout, f)
	fmt.Fprintf(w, "\nmake bench, secretsd part, %s, %d CPUs\n", time.Now().Format(time.RFC3339), runtime.NumCPU())
	if _, err := loadbench.WriteSecretsdReport(w, o, res); err != nil {
		return err
	}
	return f.Close()
}
