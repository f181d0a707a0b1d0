package loadbench

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WrkReport is what one wrk run measured, as printed by lua/report.lua.
type WrkReport struct {
	Requests   int64 `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Errors     struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Status  int64 `json:"status"` // responses with a status ≥ 400
		Timeout int64 `json:"timeout"`
	} `json:"errors"`
	LatencyUS struct {
		P50  float64 `json:"p50"`
		P90  float64 `json:"p90"`
		P99  float64 `json:"p99"`
		P999 float64 `json:"p999"`
		Max  float64 `json:"max"`
		Mean float64 `json:"mean"`
	} `json:"latency_us"`
}

// wrkReportPrefix starts the line lua/report.lua prints.
const wrkReportPrefix = "PORTCULLIS_WRK "

// ErrNoWrkReport means wrk's output holds no report line: wrk failed, or ran
// without our script.
var ErrNoWrkReport = errors.New("no " + strings.TrimSpace(wrkReportPrefix) + " line in wrk output")

// ParseWrkReport finds the report line in wrk's output and decodes it. The
// last such line wins.
func ParseWrkReport(output string) (WrkReport, error) {
	var rep WrkReport
	idx := strings.LastIndex(output, wrkReportPrefix)
	if idx < 0 {
		return rep, ErrNoWrkReport
	}
	line := output[idx+len(wrkReportPrefix):]
	if nl := strings.IndexByte(line, '\n'); nl >= 0 {
		line = line[:nl]
	}
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		return rep, fmt.Errorf("decoding wrk report %q: %w", line, err)
	}
	if rep.Requests < 0 || rep.DurationUS <= 0 {
		return rep, fmt.Errorf("wrk report has %d requests in %dµs", rep.Requests, rep.DurationUS)
	}
	return rep, nil
}

// RPS is the run's throughput in requests per second.
func (r WrkReport) RPS() float64 {
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// Failures counts requests that got no answer or an error status.
func (r WrkReport) Failures() int64 {
	e := r.Errors
	return e.Connect + e.Read + e.Write + e.Status + e.Timeout
}

// Duration is how long wrk ran.
func (r WrkReport) Duration() time.Duration { return time.Duration(r.DurationUS) * time.Microsecond }

//go:embed lua/report.lua
var reportLua string

//go:embed lua/distinct.lua
var distinctLua string

// Load is one of the two request patterns of issue 2.
type Load string

// The loads: one token reused by every request (the common case, every cache
// hits), and a different valid token on every request (no cache can help).
const (
	LoadReusedToken   Load = "one token reused"
	LoadDistinctToken Load = "new token per request"
)

// WriteScripts writes the wrk Lua scripts of both loads into dir.
func WriteScripts(dir string) (map[Load]string, error) {
	scripts := map[Load]string{
		LoadReusedToken:   reportLua,
		LoadDistinctToken: distinctLua + "\n" + reportLua,
	}
	paths := make(map[Load]string, len(scripts))
	for load, text := range scripts {
		name := "reused.lua"
		if load == LoadDistinctToken {
			name = "distinct.lua"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("writing wrk script: %w", err)
		}
		paths[load] = p
	}
	return paths, nil
}

// WrkRun describes one wrk invocation.
type WrkRun struct {
	URL         string
	Threads     int
	Connections int
	Duration    time.Duration
	Script      string
	// Token is sent as a bearer token on every request (the reused load).
	Token string
	// TokensFile, Offset: the distinct load sends the tokens of the file
	// from Offset on.
	TokensFile string
	Offset     int64
}

// Args returns wrk's command line (without the program name).
func (w WrkRun) Args() []string {
	args := []string{
		"-t", fmt.Sprint(w.Threads),
		"-c", fmt.Sprint(w.Connections),
		"-d", fmt.Sprintf("%ds", max(1, int(w.Duration.Round(time.Second)/time.Second))),
		"--latency",
		"-s", w.Script,
	}
	if w.Token != "" {
		args = append(args, "-H", "Authorization: Bearer "+w.Token)
	}
	args = append(args, w.URL)
	if w.TokensFile != "" {
		args = append(args, "--", w.TokensFile, fmt.Sprint(w.Offset), fmt.Sprint(w.Threads))
	}
	return args
}
