package loadbench

import (
	"fmt"
	"io"
	"strings"
)

// WriteSecretsdTables prints the login and refresh tables in Markdown, the
// form the README's "Performance" section uses.
func WriteSecretsdTables(w io.Writer, rows []SecretsdRow) {
	fmt.Fprintln(w, "| algorithm | logins | p50 ms | p99 ms | logins/s | secretsd CPU ms/login |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | sequential | %.1f | %.1f | %.1f | %.0f |\n", r.Alg, r.SeqP50ms, r.SeqP99ms, r.SeqPerSec, r.CPUmsPerLogin)
		fmt.Fprintf(w, "| %s | %d workers | %.1f | %.1f | %.1f | |\n", r.Alg, r.ConcWorkers, r.ConcP50ms, r.ConcP99ms, r.ConcPerSec)
	}
	fmt.Fprintln(w)
	cores := 0
	if len(rows) > 0 {
		cores = rows[0].Cores
	}
	fmt.Fprintf(w, "| algorithm | sessions | refreshes/s | p50 ms | p99 ms | failed | secretsd CPU s/1k | loadbench CPU s/1k | %d-core ceiling/s | peak RSS MB (anon) | anon MB: idle, after refreshing |\n", cores)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | %.2f | %d | %.3f | %.3f | %.0f | %.1f (%.1f) | %.1f, %.1f |\n",
			r.Alg, r.Sessions, r.RefreshPerSec, r.RefreshP50ms, r.RefreshP99ms, r.RefreshErrors,
			r.CPUPer1k, r.ClientCPUPer1k, r.CeilingPerSec, r.PeakRSSMB, r.AnonMB, r.IdleAnonMB, r.RefreshAnonMB)
	}
}

// WriteSecretsdReport prints what was measured and how, the tables and the
// verdicts. It returns the number of targets not met.
func WriteSecretsdReport(w io.Writer, o SecretsdOptions, res *SecretsdResult) (int, error) {
	fmt.Fprintf(w, "secretsd: one fresh `secretsd serve` per algorithm (%s), SQLite store, log level warn, Argon2id %s;\n",
		strings.Join(o.Algorithms, ", "), o.Argon2)
	fmt.Fprintf(w, "          %d rounds interleaved across the algorithms, medians of rounds; load from the Go client (secretsd/client)\n", o.Rounds)
	fmt.Fprintln(w, "          in this process, over one keep-alive transport, on the same cores as secretsd.")
	fmt.Fprintf(w, "logins:   the bootstrapped Admin (no second factor: password check, new session, tokens), %d one after the other,\n", o.Logins)
	fmt.Fprintf(w, "          then %d from %d workers; logins/s is logins over the phase's wall time.\n", o.Logins, o.LoginWorkers)
	fmt.Fprintf(w, "refresh:  %d sessions, each worker rotating its own refresh token (POST /v1/auth/refresh: new access and refresh\n", o.Sessions)
	fmt.Fprintf(w, "          token) in a closed loop for %s per round, after a %s warm-up; failed: refreshes that did not succeed.\n", o.Duration, o.Warmup)
	fmt.Fprintln(w, "CPU:      utime+stime from /proc/<pid>/stat per 1,000 refreshes, of secretsd and of the load generator; the ceiling")
	fmt.Fprintln(w, "          is what secretsd's CPU per refresh allows if it had every core to itself. Memory: VmHWM (logins' Argon2id")
	fmt.Fprintln(w, "          memory included), the largest RssAnon sampled every 200 ms over the whole run (in brackets), RssAnon")
	fmt.Fprintln(w, "          once started, before any login (idle: the dummy hash for unknown users is one Argon2id run), and the")
	fmt.Fprintln(w, "          largest RssAnon at the end of a refresh phase (the heap left by the logins before it is returned gradually).")
	fmt.Fprintln(w)
	WriteSecretsdTables(w, res.Rows)
	fmt.Fprintln(w)
	failed, err := WriteVerdicts(w, res.Verdicts)
	if err != nil {
		return failed, err
	}
	_, err = fmt.Fprintf(w, "%d of %d secretsd end-to-end targets met\n", len(res.Verdicts)-failed, len(res.Verdicts))
	return failed, err
}
