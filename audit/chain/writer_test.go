package chain_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/internal/clock"
)

func TestAppendVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	dir := t.TempDir()
	w := mustOpen(t, dir, chain.Options{Signer: priv, KeyID: "k1"})
	if got := mustAppend(t, w, payloads(1, 3)); got != 1 {
		t.Fatalf("first seq = %d, want 1", got)
	}
	if got := mustAppend(t, w, payloads(4, 2)); got != 4 {
		t.Fatalf("first seq = %d, want 4", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(payloads(6, 1)); !errors.Is(err, chain.ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	rep, err := chain.Verify(dir, pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Records != 5 || rep.LastSeq != 5 || rep.Checkpoints != 1 || rep.Segments != 1 || rep.Unsealed != 0 {
		t.Fatalf("report = %+v", rep)
	}
	// The payload bytes are stored exactly as given.
	lines := readLines(t, segments(t, dir)[0])
	if !bytes.HasSuffix(lines[0], append([]byte(`"payload":`), append(payload(1), '}')...)) {
		t.Fatalf("line 1 = %s", lines[0])
	}
}

func TestAppendRejectsBadPayloads(t *testing.T) {
	t.Parallel()
	_, priv := newKey(t)
	w := mustOpen(t, t.TempDir(), chain.Options{Signer: priv})
	defer w.Close()
	for _, p := range []string{``, `[]`, `"x"`, `{"a":1`, "{\"a\":\n1}", ` {"a":1}`, `{"a":1}{"b":2}`} {
		if _, err := w.Append([][]byte{[]byte(p)}); !errors.Is(err, chain.ErrInvalidPayload) {
			t.Errorf("payload %q: err = %v, want ErrInvalidPayload", p, err)
		}
	}
}

func TestSegmentsRollAndSeal(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	dir := t.TempDir()
	w := mustOpen(t, dir, chain.Options{Signer: priv, SegmentBytes: 1024, CheckpointEvery: -1, CheckpointInterval: -1})
	for i := 0; i < 40; i++ {
		mustAppend(t, w, payloads(i*3, 3))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs := segments(t, dir)
	if len(segs) < 3 {
		t.Fatalf("%d segments, want several", len(segs))
	}
	for _, s := range segs {
		lines := readLines(t, s)
		if !bytes.HasPrefix(lines[len(lines)-1], []byte(`{"checkpoint":`)) {
			t.Errorf("%s does not end with a checkpoint", filepath.Base(s))
		}
	}
	rep, err := chain.Verify(dir, pub)
	if err != nil || rep.Records != 120 || rep.Segments != len(segs) || rep.Checkpoints != len(segs) {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func TestCheckpointTriggers(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)

	dir := t.TempDir()
	w := mustOpen(t, dir, chain.Options{Signer: priv, CheckpointEvery: 10, CheckpointInterval: -1})
	for i := 0; i < 25; i++ {
		mustAppend(t, w, payloads(i, 1))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := chain.Verify(dir, pub); err != nil || rep.Checkpoints != 3 { // 10, 20, close
		t.Fatalf("count trigger: %+v, %v", rep, err)
	}

	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	dir = t.TempDir()
	w = mustOpen(t, dir, chain.Options{Signer: priv, CheckpointEvery: -1, CheckpointInterval: time.Hour, Clock: clk})
	mustAppend(t, w, payloads(0, 1))
	mustAppend(t, w, payloads(1, 1))
	clk.Advance(time.Hour)
	mustAppend(t, w, payloads(2, 1)) // sealed with a checkpoint in this commit
	rep, err := chain.Verify(dir, pub)
	if !errors.Is(err, nil) || rep.Checkpoints != 1 || rep.Unsealed != 0 {
		t.Fatalf("time trigger: %+v, %v", rep, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readLines(t, segments(t, dir)[0])[3], []byte(`"time":"2026-01-01T01:00:00Z"`)) {
		t.Fatal("checkpoint time does not come from the injected clock")
	}
}

func TestResumeAfterClose(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	dir := t.TempDir()
	opts := chain.Options{Signer: priv, KeyID: "k", SegmentBytes: 2048}
	for round := 0; round < 3; round++ {
		w := mustOpen(t, dir, opts)
		if got, want := mustAppend(t, w, payloads(0, 10)), uint64(round*10+1); got != want {
			t.Fatalf("round %d: first seq %d, want %d", round, got, want)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Opening and closing without appending adds nothing.
		if err := mustOpen(t, dir, opts).Close(); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := chain.Verify(dir, pub)
	if err != nil || rep.Records != 30 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// crashCopy appends through a writer, then copies the files while it is
// still open: the state a kill -9 after the last acknowledged Append leaves.
func crashCopy(t *testing.T, opts chain.Options, n int) string {
	t.Helper()
	dir := t.TempDir()
	w := mustOpen(t, dir, opts)
	for i := 0; i < n; i++ {
		mustAppend(t, w, payloads(i, 1))
	}
	crashed := copyDir(t, dir)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return crashed
}

func TestResumeAfterCrash(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	opts := chain.Options{Signer: priv, SegmentBytes: 1500, CheckpointEvery: 4, CheckpointInterval: -1}

	for _, tc := range []struct {
		name string
		torn string // bytes of a partial last line left by the crash
	}{
		{"clean crash", ""},
		{"partial line", `{"seq":12,"prev":"00ab`},
		{"whole line without newline", `{"seq":12,"prev":"` + string(bytes.Repeat([]byte("0"), 64)) + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := crashCopy(t, opts, 11)
			segs := segments(t, dir)
			last := segs[len(segs)-1]
			if tc.torn != "" {
				f, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(tc.torn)
				f.Close()
				rep, err := chain.Verify(dir, pub)
				var p *chain.Problem
				if !errors.As(err, &p) || !errors.Is(err, chain.ErrTornWrite) || p.Seq != 12 || p.File != filepath.Base(last) {
					t.Fatalf("Verify = %+v, %v; want torn write at seq 12", rep, err)
				}
			} else if _, err := chain.Verify(dir, pub); !errors.Is(err, chain.ErrUnsealed) {
				t.Fatalf("Verify after crash = %v, want ErrUnsealed", err)
			}
			w := mustOpen(t, dir, opts)
			if got := mustAppend(t, w, payloads(11, 5)); got != 12 {
				t.Fatalf("first seq after resume = %d, want 12", got)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if rep, err := chain.Verify(dir, pub); err != nil || rep.Records != 16 {
				t.Fatalf("Verify after repair = %+v, %v", rep, err)
			}
		})
	}
}

func TestResumeAfterCrashRightAfterRoll(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	opts := chain.Options{Signer: priv, SegmentBytes: 600, CheckpointInterval: -1}
	dir := crashCopy(t, opts, 10)
	segs := segments(t, dir)
	// An empty next segment, as a crash between creating it and writing leaves.
	empty := filepath.Join(dir, segmentAfter(t, segs[len(segs)-1]))
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w := mustOpen(t, dir, opts)
	if got := mustAppend(t, w, payloads(10, 3)); got != 11 {
		t.Fatalf("first seq = %d, want 11", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := chain.Verify(dir, pub); err != nil || rep.Records != 13 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func segmentAfter(t *testing.T, path string) string {
	t.Helper()
	var n int
	if _, err := fmtSscanf(filepath.Base(path), &n); err != nil {
		t.Fatal(err)
	}
	return segName(n + 1)
}

func TestOpenRefusesBrokenTail(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	opts := chain.Options{Signer: priv, CheckpointInterval: -1}
	dir := crashCopy(t, opts, 8)
	seg := segments(t, dir)[0]
	lines := readLines(t, seg)
	lines[6][len(lines[6])-3] ^= 0x01 // payload byte of seq 7
	writeLines(t, seg, lines)
	_, err := chain.Open(dir, opts)
	var p *chain.Problem
	if !errors.Is(err, chain.ErrBrokenTail) || !errors.Is(err, chain.ErrHashMismatch) || !errors.As(err, &p) || p.Seq != 7 {
		t.Fatalf("Open = %v, want ErrBrokenTail naming seq 7", err)
	}
	if _, err := chain.Verify(dir, pub); !errors.Is(err, chain.ErrHashMismatch) {
		t.Fatalf("Verify = %v", err)
	}
}
