package loadbench

import (
	"fmt"
	"math"
	"slices"
)

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of xs; 0 for
// none.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// SecretsdRun is one round against the secretsd of one algorithm.
type SecretsdRun struct {
	Alg        string
	Round      int
	Sequential LoginPhase
	Concurrent LoginPhase
	Refresh    RefreshPhase
}

// SecretsdMemory is one secretsd's memory over the whole benchmark.
type SecretsdMemory struct {
	PeakKB        uint64 // VmHWM at the end
	IdleAnonKB    uint64 // RssAnon once started, before any login
	PeakAnonKB    uint64 // largest RssAnon sampled, logins included
	RefreshAnonKB uint64 // largest RssAnon at the end of a refresh phase
}

// SecretsdRow is the summary of all rounds of one algorithm: medians over
// rounds of each round's figures, errors summed.
type SecretsdRow struct {
	Alg    string
	Rounds int

	SeqP50ms, SeqP99ms, SeqPerSec    float64
	ConcP50ms, ConcP99ms, ConcPerSec float64
	ConcWorkers                      int
	CPUmsPerLogin                    float64 // secretsd CPU per login, both phases

	Sessions       int
	RefreshPerSec  float64
	RefreshP50ms   float64
	RefreshP99ms   float64
	RefreshErrors  int64
	Refreshes      int64   // successful ones, all rounds
	CPUPer1k       float64 // secretsd CPU seconds per 1,000 refreshes
	ClientCPUPer1k float64 // loadbench's CPU seconds per 1,000 refreshes
	CeilingPerSec  float64 // refreshes/s secretsd's CPU cost allows on Cores cores alone
	Cores          int
	FirstError     string
	PeakRSSMB      float64
	IdleAnonMB     float64
	AnonMB         float64
	RefreshAnonMB  float64
}

// SummarizeSecretsd turns runs into one row per algorithm, in the order
// algorithms first appear. clockTicks is sysconf(_SC_CLK_TCK); cores is what
// the ceiling is computed for.
func SummarizeSecretsd(runs []SecretsdRun, mem map[string]SecretsdMemory, clockTicks float64, cores int) []SecretsdRow {
	var algs []string
	byAlg := map[string][]SecretsdRun{}
	for _, r := range runs {
		if _, ok := byAlg[r.Alg]; !ok {
			algs = append(algs, r.Alg)
		}
		byAlg[r.Alg] = append(byAlg[r.Alg], r)
	}
	secs := func(ticks uint64) float64 {
		if clockTicks <= 0 {
			return 0
		}
		return float64(ticks) / clockTicks
	}
	rows := make([]SecretsdRow, 0, len(algs))
	for _, alg := range algs {
		var seq50, seq99, seqRate, conc50, conc99, concRate, cpuLogin []float64
		var rate, p50, p99, cpu, clientCPU []float64
		row := SecretsdRow{Alg: alg, Rounds: len(byAlg[alg]), Cores: cores}
		for _, r := range byAlg[alg] {
			seq50 = append(seq50, Percentile(r.Sequential.LatencyMS, 50))
			seq99 = append(seq99, Percentile(r.Sequential.LatencyMS, 99))
			seqRate = append(seqRate, r.Sequential.PerSecond())
			conc50 = append(conc50, Percentile(r.Concurrent.LatencyMS, 50))
			conc99 = append(conc99, Percentile(r.Concurrent.LatencyMS, 99))
			concRate = append(concRate, r.Concurrent.PerSecond())
			row.ConcWorkers = r.Concurrent.Workers
			if n := len(r.Sequential.LatencyMS) + len(r.Concurrent.LatencyMS); n > 0 {
				cpuLogin = append(cpuLogin, secs(r.Sequential.CPUTicks+r.Concurrent.CPUTicks)/float64(n)*1e3)
			}

			f := r.Refresh
			row.Sessions = f.Sessions
			row.RefreshErrors += f.Errors
			row.Refreshes += int64(len(f.LatencyMS))
			if row.FirstError == "" {
				row.FirstError = f.FirstError
			}
			rate = append(rate, f.PerSecond())
			p50 = append(p50, Percentile(f.LatencyMS, 50))
			p99 = append(p99, Percentile(f.LatencyMS, 99))
			if n := len(f.LatencyMS); n > 0 {
				cpu = append(cpu, secs(f.CPUTicks)/float64(n)*1e3)
				clientCPU = append(clientCPU, secs(f.ClientTicks)/float64(n)*1e3)
			}
		}
		row.SeqP50ms, row.SeqP99ms, row.SeqPerSec = Median(seq50), Median(seq99), Median(seqRate)
		row.ConcP50ms, row.ConcP99ms, row.ConcPerSec = Median(conc50), Median(conc99), Median(concRate)
		row.CPUmsPerLogin = Median(cpuLogin)
		row.RefreshPerSec, row.RefreshP50ms, row.RefreshP99ms = Median(rate), Median(p50), Median(p99)
		row.CPUPer1k, row.ClientCPUPer1k = Median(cpu), Median(clientCPU)
		if row.CPUPer1k > 0 {
			row.CeilingPerSec = float64(cores) * 1e3 / row.CPUPer1k
		}
		m := mem[alg]
		row.PeakRSSMB, row.IdleAnonMB = float64(m.PeakKB)/1024, float64(m.IdleAnonKB)/1024
		row.AnonMB, row.RefreshAnonMB = float64(m.PeakAnonKB)/1024, float64(m.RefreshAnonKB)/1024
		rows = append(rows, row)
	}
	return rows
}

// Targets of issue 3 measured end to end (2-core machine).
const MinRefreshesPerSec = 5000

// RefreshTargetAlgs are the algorithms the refresh target names ("with
// ES256 or EdDSA signing"); RS256 is measured for comparison.
var RefreshTargetAlgs = []string{"ES256", "EdDSA"}

// CheckSecretsdTargets judges the rows against issue 3's refresh target and
// requires that no refresh failed.
func CheckSecretsdTargets(rows []SecretsdRow) []Verdict {
	var out []Verdict
	for _, alg := range RefreshTargetAlgs {
		label := fmt.Sprintf("secretsd %s: ≥ %d token refreshes/s", alg, MinRefreshesPerSec)
		i := slices.IndexFunc(rows, func(r SecretsdRow) bool { return r.Alg == alg })
		if i < 0 {
			out = append(out, Verdict{Target: label, Missing: true, Got: "not measured"})
			continue
		}
		r := rows[i]
		got := fmt.Sprintf("%.0f/s end to end, load generator on the same cores", r.RefreshPerSec)
		if r.CeilingPerSec > 0 {
			got += fmt.Sprintf("; secretsd's own CPU (%.3f s/1k) would allow %.0f/s", r.CPUPer1k, r.CeilingPerSec)
		}
		out = append(out, Verdict{Target: label, Got: got, Pass: r.RefreshPerSec >= MinRefreshesPerSec})
	}
	for _, r := range rows {
		label := fmt.Sprintf("secretsd %s: no refresh fails", r.Alg)
		got := fmt.Sprintf("%d failed of %d", r.RefreshErrors, r.RefreshErrors+r.Refreshes)
		if r.FirstError != "" {
			got += "; first: " + r.FirstError
		}
		out = append(out, Verdict{Target: label, Got: got, Pass: r.RefreshErrors == 0 && r.Refreshes > 0})
	}
	return out
}
