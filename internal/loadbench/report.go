package loadbench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the rows as an aligned table.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "configuration\tload\truns\tfailed\treq/s\tp50 ms\tp99 ms\tCPU s/10k req\tpeak RSS MB\tanon MB\treq/s × bare\tp99 added ms\tCPU × bare\t")
	for _, r := range rows {
		ratios := "—\t—\t—\t"
		if r.HasBare && r.Config != ConfigBare {
			ratios = fmt.Sprintf("%.2f\t%+.2f\t%.2f\t", r.RPSRatio, r.AddedP99ms, r.CPURatio)
		} else if r.Config == ConfigBare {
			ratios = "1.00\t+0.00\t1.00\t"
		}
		rss := "?"
		if r.RSSMB > 0 {
			rss = fmt.Sprintf("%.1f", r.RSSMB)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.3f\t%s\t%.1f\t%s\n",
			r.Config, r.Load, r.Runs, r.Failed, r.RPS, r.P50ms, r.P99ms, r.CPUPer10k, rss, r.AnonMB, ratios)
	}
	return tw.Flush()
}

// WriteVerdicts prints one line per target: PASS, FAIL or MISSING.
func WriteVerdicts(w io.Writer, vs []Verdict) (failed int, err error) {
	width := 0
	for _, v := range vs {
		width = max(width, len([]rune(v.Target)))
	}
	for _, v := range vs {
		status := "PASS"
		switch {
		case v.Missing:
			status = "MISSING"
			failed++
		case !v.Pass:
			status = "FAIL"
			failed++
		}
		pad := strings.Repeat(" ", width-len([]rune(v.Target)))
		if _, err := fmt.Fprintf(w, "%-7s  %s%s  %s\n", status, v.Target, pad, v.Got); err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// WriteReport prints the whole end-to-end result: what was measured and how,
// the table, and the verdicts. It returns the number of targets not met.
func WriteReport(w io.Writer, o Options, res *Result) (int, error) {
	chain := append([]string{}, res.Chain...)
	for i, d := range chain {
		switch d {
		case "mfa_stepup":
			chain[i] = "mfa_stepup (on changes; the load only reads)"
		case "cedar_authz":
			chain[i] = fmt.Sprintf("cedar_authz (%s, environment %s)", o.PoliciesDir, o.Environment)
		case "rate_limit":
			chain[i] = "rate_limit (10,000,000 events/1m per client IP: never refuses)"
		}
	}
	fmt.Fprintf(w, "load:   wrk -t%d -c%d --latency, GET %s; %d rounds × %s per gateway, interleaved (%s), after a %s warm-up each\n",
		o.Threads, o.Connections, o.Path, o.Rounds, o.Duration, strings.Join(configsOf(res.Rows), ", "), o.Warmup)
	fmt.Fprintf(w, "tokens: %s (%s key); reused load: one token; per-request load: %d distinct pre-signed tokens cycled by a wrk Lua script\n",
		o.Tokens.Alg, map[string]string{"RS256": "RSA-2048, the product default", "PS256": "RSA-2048", "ES256": "P-256", "EdDSA": "Ed25519"}[o.Tokens.Alg], o.Tokens.Count)
	fmt.Fprintf(w, "chain:  %s → reverse_proxy\n", strings.Join(chain, " → "))
	if len(res.Missing) > 0 {
		fmt.Fprintf(w, "NOTE:   not in this Caddy build yet, left out of the chain: %s\n", strings.Join(res.Missing, ", "))
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "NOTE:   skipped %s\n", s)
	}
	fmt.Fprintln(w, "failed: requests that timed out (wrk's 2 s) or hit a socket error; any error status aborts the benchmark.")
	fmt.Fprintln(w, "CPU: the gateway's utime+stime from /proc/<pid>/stat. Peak RSS: VmHWM of a gateway started fresh for each load (it")
	fmt.Fprintln(w, "includes the executable's mapped pages, about the same for every configuration); anon: largest RssAnon sampled every 200 ms.")
	fmt.Fprintln(w)
	if err := WriteTable(w, res.Rows); err != nil {
		return 0, err
	}
	fmt.Fprintln(w)
	if len(res.FixedRate) > 0 {
		WriteFixedRate(w, max(o.FixedRate/o.FixedRateWorkers, 1)*o.FixedRateWorkers, res.FixedRate)
		fmt.Fprintln(w)
	}
	failed, err := WriteVerdicts(w, res.Verdicts)
	if err != nil {
		return failed, err
	}
	fmt.Fprintf(w, "%d of %d end-to-end targets met\n", len(res.Verdicts)-failed, len(res.Verdicts))
	return failed, nil
}

func configsOf(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r.Config) {
			out = append(out, r.Config)
		}
	}
	return out
}
