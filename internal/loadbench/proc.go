package loadbench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ParseCPUTicks returns utime+stime, in clock ticks, from the contents of
// /proc/<pid>/stat (proc(5): fields 14 and 15). The command name, field 2, is
// in parentheses and may hold spaces and parentheses, so fields are counted
// from the last ')'.
func ParseCPUTicks(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("proc stat: no ')' after the command name")
	}
	// After ")": field 3 (state) is rest[0], so field n is rest[n-3].
	rest := strings.Fields(string(stat[end+1:]))
	if len(rest) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want at least 13", len(rest))
	}
	utime, err := strconv.ParseUint(rest[14-3], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat: utime: %w", err)
	}
	stime, err := strconv.ParseUint(rest[15-3], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat: stime: %w", err)
	}
	return utime + stime, nil
}

// ParseStatusKB returns a "<field>: N kB" value of /proc/<pid>/status
// (proc(5)), e.g. VmHWM (peak resident set size) or RssAnon.
func ParseStatusKB(status []byte, field string) (uint64, error) {
	prefix := field + ":"
	for _, line := range strings.Split(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("proc status: malformed %s line %q", field, line)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc status: %s: %w", field, err)
		}
		return kb, nil
	}
	return 0, fmt.Errorf("proc status: no %s line", field)
}

// CPUTicks reads utime+stime of a running process.
func CPUTicks(pid int) (uint64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseCPUTicks(raw)
}

// StatusKB reads a kB field of a running process's /proc/<pid>/status.
func StatusKB(pid int, field string) (uint64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseStatusKB(raw, field)
}

// AnonSampler records the largest anonymous RSS (RssAnon: heap, stacks —
// what a cache grows) of a process, sampled periodically. The kernel keeps a
// peak only for the whole RSS (VmHWM), which also counts the pages of the
// executable that are mapped in, the same for every configuration.
type AnonSampler struct {
	stop chan struct{}
	done chan struct{}
	max  uint64
}

// SampleAnonRSS starts sampling pid every interval until Stop.
func SampleAnonRSS(pid int, interval time.Duration) *AnonSampler {
	s := &AnonSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if kb, err := StatusKB(pid, "RssAnon"); err == nil {
				s.max = max(s.max, kb)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the largest RssAnon seen, in kB.
func (s *AnonSampler) Stop() uint64 {
	close(s.stop)
	<-s.done
	return s.max
}
