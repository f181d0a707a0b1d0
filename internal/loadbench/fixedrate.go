package loadbench

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// wrk's closed loop keeps both cores busy, so its p99 is mostly time spent
// queueing and grows with every microsecond of CPU the chain adds. The
// latency a request gains by passing the chain is measured here instead:
// an open-loop load at a fixed rate well below saturation (hey -q), the
// same for bare reverse_proxy and the chain, interleaved like the wrk runs.

// FixedRate is one hey run against one gateway.
type FixedRate struct {
	Config   string
	Round    int
	P50, P99 time.Duration
}

var (
	heyPercentile = regexp.MustCompile(`(?m)^\s*(\d+)%\s+in\s+([0-9.]+)\s+secs`)
	heyStatus     = regexp.MustCompile(`(?m)^\s*\[(\d{3})\]\s+(\d+)\s+responses`)
)

// ParseHeyLatency reads p50 and p99 from hey's "Latency distribution" and
// refuses a run in which any answer was not a 200 (an error path is faster
// and would flatter the gateway) or no answer came at all.
func ParseHeyLatency(out string) (p50, p99 time.Duration, err error) {
	statuses := heyStatus.FindAllStringSubmatch(out, -1)
	if len(statuses) == 0 {
		return 0, 0, fmt.Errorf("hey reported no responses")
	}
	for _, s := range statuses {
		if s[1] != "200" {
			return 0, 0, fmt.Errorf("hey saw %s answers with status %s", s[2], s[1])
		}
	}
	found := 0
	for _, m := range heyPercentile.FindAllStringSubmatch(out, -1) {
		secs, perr := strconv.ParseFloat(m[2], 64)
		if perr != nil || secs > 3600 {
			return 0, 0, fmt.Errorf("hey latency %q is not a plausible number of seconds", m[2])
		}
		d := time.Duration(secs * float64(time.Second))
		switch m[1] {
		case "50":
			p50, found = d, found+1
		case "99":
			p99, found = d, found+1
		}
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("hey output has no 50%% and 99%% latency lines")
	}
	return p50, p99, nil
}

// HeyArgs are the arguments of a fixed-rate run: workers × perWorker
// requests per second for d, with the reused token.
func HeyArgs(url, token string, d time.Duration, workers, perWorker int) []string {
	return []string{"-z", d.String(), "-c", strconv.Itoa(workers), "-q", strconv.Itoa(perWorker),
		"-H", "Authorization: Bearer " + token, url}
}

func measureFixedRate(ctx context.Context, o Options, gws []*gateway, token string, res *Result) error {
	perWorker := max(o.FixedRate/o.FixedRateWorkers, 1)
	fmt.Fprintf(o.Log, "loadbench: fixed rate %d req/s (hey -c %d -q %d), one token reused\n", perWorker*o.FixedRateWorkers, o.FixedRateWorkers, perWorker)
	for round := 1; round <= o.Rounds; round++ {
		for _, g := range gws {
			runCtx, cancel := context.WithTimeout(ctx, o.Duration+30*time.Second)
			out, err := exec.CommandContext(runCtx, o.HeyBin, HeyArgs(g.url, token, o.Duration, o.FixedRateWorkers, perWorker)...).CombinedOutput()
			cancel()
			if err != nil {
				return fmt.Errorf("hey against %s: %v\n%s", g.config, err, out)
			}
			p50, p99, err := ParseHeyLatency(string(out))
			if err != nil {
				return fmt.Errorf("hey against %s: %w", g.config, err)
			}
			res.FixedRate = append(res.FixedRate, FixedRate{Config: g.config, Round: round, P50: p50, P99: p99})
			fmt.Fprintf(o.Log, "loadbench:   round %d %-22s p50 %.2f ms  p99 %.2f ms\n", round, g.config, ms(p50), ms(p99))
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// FixedRateMedians returns, per configuration in first-seen order, the median
// p50 and p99 over the rounds.
func FixedRateMedians(runs []FixedRate) (configs []string, p50, p99 map[string]time.Duration) {
	p50s, p99s := map[string][]float64{}, map[string][]float64{}
	for _, r := range runs {
		if _, ok := p50s[r.Config]; !ok {
			configs = append(configs, r.Config)
		}
		p50s[r.Config] = append(p50s[r.Config], float64(r.P50))
		p99s[r.Config] = append(p99s[r.Config], float64(r.P99))
	}
	p50, p99 = map[string]time.Duration{}, map[string]time.Duration{}
	for _, c := range configs {
		p50[c], p99[c] = time.Duration(Median(p50s[c])), time.Duration(Median(p99s[c]))
	}
	return configs, p50, p99
}

// CheckFixedRateTargets judges the p99 each chain adds to bare at a fixed rate.
func CheckFixedRateTargets(runs []FixedRate) []Verdict {
	configs, _, p99 := FixedRateMedians(runs)
	bare, ok := p99[ConfigBare]
	var out []Verdict
	for _, c := range configs {
		if c == ConfigBare {
			continue
		}
		label := fmt.Sprintf("%s, fixed rate: p99 added ≤ %.0f ms", c, MaxAddedP99ms)
		if !ok {
			out = append(out, Verdict{Target: label, Missing: true, Got: "bare not measured"})
			continue
		}
		added := ms(p99[c] - bare)
		out = append(out, Verdict{Target: label, Pass: added <= MaxAddedP99ms,
			Got: fmt.Sprintf("%+.2f ms (p99 %.2f ms vs %.2f ms)", added, ms(p99[c]), ms(bare))})
	}
	return out
}

// WriteFixedRate prints the fixed-rate table.
func WriteFixedRate(w io.Writer, rate int, runs []FixedRate) {
	configs, p50, p99 := FixedRateMedians(runs)
	fmt.Fprintf(w, "fixed rate, %d req/s, one token reused (hey; medians of the rounds):\n", rate)
	fmt.Fprintf(w, "%-22s %8s %8s %14s\n", "configuration", "p50 ms", "p99 ms", "p99 added ms")
	for _, c := range configs {
		fmt.Fprintf(w, "%-22s %8.2f %8.2f %+14.2f\n", c, ms(p50[c]), ms(p99[c]), ms(p99[c]-p99[ConfigBare]))
	}
}
