package loadbench_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/loadbench"
	"github.com/portcullis/portcullis/internal/testenv"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 … 1, unsorted on purpose
	}
	tests := []struct {
		name string
		in   []float64
		p    float64
		want float64
	}{
		{"no values give zero", nil, 50, 0},
		{"one value is every percentile", []float64{7}, 99, 7},
		{"p50 of 1…100 is 50 (nearest rank)", hundred, 50, 50},
		{"p99 of 1…100 is 99", hundred, 99, 99},
		{"p100 is the largest", hundred, 100, 100},
		{"a tiny p is the smallest", hundred, 0.001, 1},
		{"p99 of 20 values is the largest", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 99, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tc.in)
			if got := loadbench.Percentile(in, tc.p); got != tc.want {
				t.Fatalf("Percentile(p%v) = %v, want %v", tc.p, got, tc.want)
			}
			if !slices.Equal(in, tc.in) {
				t.Fatal("Percentile reordered its input")
			}
		})
	}
}

// refreshes returns n latencies of ms each.
func refreshes(n int, ms float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = ms
	}
	return out
}

func TestSummarizeSecretsdTakesMediansOfRounds(t *testing.T) {
	t.Parallel()
	run := func(alg string, round, n int, refreshMS float64, cpuTicks uint64, errs int64) loadbench.SecretsdRun {
		return loadbench.SecretsdRun{Alg: alg, Round: round,
			Sequential: loadbench.LoginPhase{Workers: 1, LatencyMS: []float64{80, 90, 100, 110}, Elapsed: 400 * time.Millisecond, CPUTicks: 40},
			Concurrent: loadbench.LoginPhase{Workers: 2, LatencyMS: []float64{100, 100, 120, 300}, Elapsed: 300 * time.Millisecond, CPUTicks: 40},
			Refresh: loadbench.RefreshPhase{Sessions: 32, LatencyMS: refreshes(n, refreshMS), Elapsed: time.Second,
				CPUTicks: cpuTicks, ClientTicks: cpuTicks / 4, Errors: errs},
		}
	}
	runs := []loadbench.SecretsdRun{
		run("ES256", 1, 4000, 6, 160, 0),
		run("EdDSA", 1, 5000, 5, 150, 0),
		run("ES256", 2, 6000, 4, 180, 1),
		run("ES256", 3, 5000, 5, 200, 0),
	}
	runs[2].Refresh.FirstError = "POST /v1/auth/refresh: timed out"
	mem := map[string]loadbench.SecretsdMemory{"ES256": {PeakKB: 300 * 1024, IdleAnonKB: 10 * 1024, PeakAnonKB: 280 * 1024, RefreshAnonKB: 250 * 1024}}
	rows := loadbench.SummarizeSecretsd(runs, mem, 100, 2)
	if len(rows) != 2 || rows[0].Alg != "ES256" || rows[1].Alg != "EdDSA" {
		t.Fatalf("rows = %+v, want ES256 then EdDSA", rows)
	}
	es := rows[0]
	checks := []struct {
		name      string
		got, want float64
	}{
		{"rounds", float64(es.Rounds), 3},
		{"refreshes/s: median of 4000, 6000, 5000", es.RefreshPerSec, 5000},
		{"refresh p50", es.RefreshP50ms, 5},
		{"failed, summed", float64(es.RefreshErrors), 1},
		{"successful refreshes, summed", float64(es.Refreshes), 15000},
		// 1.6 s/4000, 1.8 s/6000, 2.0 s/5000 → 0.4, 0.3, 0.4 s per 1,000.
		{"secretsd CPU s/1k", es.CPUPer1k, 0.4},
		{"loadbench CPU s/1k", es.ClientCPUPer1k, 0.1},
		{"ceiling on 2 cores", es.CeilingPerSec, 5000},
		{"sequential logins/s", es.SeqPerSec, 10},
		{"sequential p50", es.SeqP50ms, 90},
		{"sequential p99", es.SeqP99ms, 110},
		{"concurrent p99", es.ConcP99ms, 300},
		{"concurrent workers", float64(es.ConcWorkers), 2},
		// 0.8 s of CPU for 8 logins.
		{"CPU ms/login", es.CPUmsPerLogin, 100},
		{"peak RSS MB", es.PeakRSSMB, 300},
		{"idle anon MB", es.IdleAnonMB, 10},
		{"anon MB after refreshing", es.RefreshAnonMB, 250},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if es.FirstError != "POST /v1/auth/refresh: timed out" {
		t.Errorf("first error = %q", es.FirstError)
	}
}

func TestCheckSecretsdTargets(t *testing.T) {
	t.Parallel()
	rows := []loadbench.SecretsdRow{
		{Alg: "RS256", RefreshPerSec: 1300, Refreshes: 100},
		{Alg: "ES256", RefreshPerSec: 5200, Refreshes: 100, CPUPer1k: 0.3, CeilingPerSec: 6667},
		{Alg: "EdDSA", RefreshPerSec: 4900, Refreshes: 100, RefreshErrors: 2, FirstError: "boom"},
	}
	var got []string
	for _, v := range loadbench.CheckSecretsdTargets(rows) {
		got = append(got, v.Target+" → "+map[bool]string{true: "pass", false: "fail"}[v.Pass])
	}
	want := []string{
		"secretsd ES256: ≥ 5000 token refreshes/s → pass",
		"secretsd EdDSA: ≥ 5000 token refreshes/s → fail",
		"secretsd RS256: no refresh fails → pass",
		"secretsd ES256: no refresh fails → pass",
		"secretsd EdDSA: no refresh fails → fail",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("verdicts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	missing := loadbench.CheckSecretsdTargets(rows[:1])
	if len(missing) != 3 || !missing[0].Missing || !missing[1].Missing {
		t.Fatalf("without ES256 and EdDSA rows: %+v, want their targets missing", missing)
	}
}

func TestSecretsdEnvDropsTheCallersSettings(t *testing.T) {
	t.Parallel()
	env := loadbench.SecretsdEnv([]string{"PATH=/bin", "SECRETSD_CONFIG=/etc/secretsd.toml", "SECRETSD_JWT_ALGORITHM=RS256"},
		"127.0.0.1:9", "/w/ES256", "ES256", loadbench.DefaultArgon2)
	for _, want := range []string{"PATH=/bin", "SECRETSD_SERVER_LISTEN=127.0.0.1:9", "SECRETSD_STORAGE_PATH=/w/ES256/secretsd.db",
		"SECRETSD_KMS_MASTER_KEY_FILE=/w/ES256/master.key", "SECRETSD_JWT_ALGORITHM=ES256", "SECRETSD_LOG_LEVEL=warn",
		"SECRETSD_PASSWORD_MEMORY_KIB=65536", "SECRETSD_PASSWORD_ITERATIONS=2", "SECRETSD_PASSWORD_PARALLELISM=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %v", want, env)
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "SECRETSD_CONFIG=") || kv == "SECRETSD_JWT_ALGORITHM=RS256" {
			t.Errorf("env keeps the caller's %s", kv)
		}
	}
}

func TestWriteSecretsdTablesIsMarkdown(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	loadbench.WriteSecretsdTables(&buf, []loadbench.SecretsdRow{{Alg: "EdDSA", Cores: 2, Sessions: 32, RefreshPerSec: 4000, ConcWorkers: 2}})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for _, l := range lines {
		if l != "" && (!strings.HasPrefix(l, "|") || !strings.HasSuffix(l, "|")) {
			t.Errorf("not a table row: %q", l)
		}
	}
	for _, want := range []string{"| EdDSA | sequential |", "| EdDSA | 2 workers |", "2-core ceiling/s", "| EdDSA | 32 | 4000 |"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, buf.String())
		}
	}
}

// quickOptions is a short run against the real secretsd build, with the
// cheapest Argon2id parameters secretsd accepts.
func quickOptions(t *testing.T, algs ...string) loadbench.SecretsdOptions {
	return loadbench.SecretsdOptions{
		Bin: testenv.SecretsdBinary(t), WorkDir: t.TempDir(), Algorithms: algs,
		Argon2: loadbench.Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1},
		Logins: 3, LoginWorkers: 2, Sessions: 4,
		Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond, Rounds: 2,
		ClockTicks: 100, Cores: 2,
	}
}

func TestMeasureSecretsdAgainstTheRealDaemon(t *testing.T) {
	t.Parallel()
	o := quickOptions(t, "RS256", "ES256", "EdDSA")
	res, err := loadbench.MeasureSecretsd(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 6 || len(res.Rows) != 3 {
		t.Fatalf("%d runs and %d rows, want 6 and 3", len(res.Runs), len(res.Rows))
	}
	// Interleaved: every algorithm in round 1 before any in round 2.
	var order []string
	for _, r := range res.Runs {
		order = append(order, r.Alg)
	}
	if want := []string{"RS256", "ES256", "EdDSA", "RS256", "ES256", "EdDSA"}; !slices.Equal(order, want) {
		t.Fatalf("run order %v, want %v", order, want)
	}
	for _, r := range res.Rows {
		if r.Refreshes == 0 || r.RefreshErrors != 0 || r.RefreshPerSec <= 0 || r.RefreshP99ms < r.RefreshP50ms {
			t.Errorf("%s: refresh row %+v", r.Alg, r)
		}
		if r.SeqPerSec <= 0 || r.ConcPerSec <= 0 || r.SeqP50ms <= 0 {
			t.Errorf("%s: login row %+v", r.Alg, r)
		}
		if r.PeakRSSMB <= 0 || r.IdleAnonMB <= 0 || r.AnonMB < r.IdleAnonMB {
			t.Errorf("%s: memory %+v", r.Alg, r)
		}
	}
	for _, v := range res.Verdicts {
		if strings.Contains(v.Target, "no refresh fails") && !v.Pass {
			t.Errorf("verdict %+v", v)
		}
	}
	var buf bytes.Buffer
	if _, err := loadbench.WriteSecretsdReport(&buf, o, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Argon2id m=19456 KiB, t=2, p=1") {
		t.Errorf("report does not state the Argon2id parameters:\n%s", buf.String())
	}
	if left := secretsdsUnder(t, o.WorkDir); len(left) > 0 {
		t.Fatalf("secretsd processes %v still run after MeasureSecretsd returned", left)
	}
}

func TestMeasureSecretsdStopsEveryProcessWhenCancelled(t *testing.T) {
	t.Parallel()
	o := quickOptions(t, "ES256", "EdDSA")
	o.Warmup, o.Duration, o.Rounds = time.Minute, time.Minute, 3
	// Cancel once both daemons are up and the load on the first begins.
	loadOn := &logWatch{want: "ES256: logging in", seen: make(chan struct{})}
	o.Log = loadOn
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := loadbench.MeasureSecretsd(ctx, o)
		done <- err
	}()
	select {
	case <-loadOn.seen:
	case err := <-done:
		t.Fatalf("MeasureSecretsd returned before the load: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the load did not begin within 60s")
	}
	if n := len(secretsdsUnder(t, o.WorkDir)); n != 2 {
		t.Fatalf("%d secretsd processes run, want 2", n)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("MeasureSecretsd = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("MeasureSecretsd did not return within 20s of the cancellation")
	}
	if left := secretsdsUnder(t, o.WorkDir); len(left) > 0 {
		t.Fatalf("secretsd processes %v still run after a cancelled MeasureSecretsd", left)
	}
}

// logWatch closes seen when a line holding want is written to it.
type logWatch struct {
	mu   sync.Mutex
	buf  strings.Builder
	want string
	seen chan struct{}
	once sync.Once
}

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// secretsdsUnder lists the processes whose store is under dir (their
// environment names it), so that other tests' secretsd are not counted.
func secretsdsUnder(t *testing.T, dir string) []string {
	t.Helper()
	var pids []string
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	needle := []byte("SECRETSD_STORAGE_PATH=" + dir + string(filepath.Separator))
	for _, e := range entries {
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if bytes.Contains(env, needle) && !bytes.Contains(stat, []byte(") Z ")) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
