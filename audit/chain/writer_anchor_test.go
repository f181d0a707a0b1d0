package chain_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

// expireAll anchors after segment k and deletes segments 1..k.
func expireAll(t *testing.T, dir string, k int, c refChain) {
	t.Helper()
	if err := chain.WriteAnchor(dir, k, c.priv, "k"); err != nil {
		t.Fatalf("WriteAnchor(%d): %v", k, err)
	}
	for n := 1; n <= k; n++ {
		if err := os.Remove(chain.SegmentPath(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
}

func mustVerify(t *testing.T, c refChain, wantLast uint64) chain.Report {
	t.Helper()
	rep, err := chain.Verify(c.dir, c.pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.LastSeq != wantLast {
		t.Fatalf("last seq = %d, want %d", rep.LastSeq, wantLast)
	}
	return rep
}

func TestWriterAppendsWhileAndAfterOldSegmentsExpire(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	c := refChain{dir: t.TempDir(), pub: pub, priv: priv}
	opts := chain.Options{Signer: priv, KeyID: "k", SegmentBytes: 600, CheckpointEvery: 4, CheckpointInterval: -1}
	w := mustOpen(t, c.dir, opts)
	for i := 0; i < 30; i += 3 {
		mustAppend(t, w, payloads(i, 3))
	}
	nums, err := chain.Segments(c.dir)
	if err != nil || len(nums) < 3 {
		t.Fatalf("segments = %v, %v; want at least 3", nums, err)
	}
	// Retention deletes every sealed segment while the writer appends to the last.
	expireAll(t, c.dir, nums[len(nums)-2], c)
	mustAppend(t, w, payloads(30, 10))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, c, 40)

	w = mustOpen(t, c.dir, opts)
	if got := mustAppend(t, w, payloads(40, 2)); got != 41 {
		t.Fatalf("first seq after reopen = %d, want 41", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, c, 42)
}

func TestWriterResumesFromTheAnchor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// next is what the segment after the expired ones holds when the
		// writer restarts: a crash right after a roll, or a torn first line.
		next string
	}{
		{"next segment empty", ""},
		{"next segment holds a torn line", `{"seq":41,"prev":"00`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := buildRef(t).open(t)
			last := len(c.segs)
			if err := os.WriteFile(chain.SegmentPath(c.dir, last+1), []byte(tc.next), 0o600); err != nil {
				t.Fatal(err)
			}
			expireAll(t, c.dir, last, c)
			w := mustOpen(t, c.dir, chain.Options{Signer: c.priv, KeyID: "ref", CheckpointInterval: -1})
			if got := mustAppend(t, w, payloads(40, 3)); got != 41 {
				t.Fatalf("first seq = %d, want 41", got)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			rep := mustVerify(t, c, 43)
			if rep.Records != 3 || rep.Segments != 1 {
				t.Fatalf("report = %+v, want 3 records in 1 segment", rep)
			}
		})
	}
}

func TestWriterRefusesABrokenStart(t *testing.T) {
	t.Parallel()
	ref := buildRef(t)
	_, other := newKey(t)
	cases := []struct {
		name    string
		prepare func(t *testing.T, c refChain)
	}{
		{"forged anchor", func(t *testing.T, c refChain) {
			f := anchorFields{Segment: 2, Seq: 1, Prev: strings.Repeat("0", 64), Time: "2024-01-01T00:00:00Z"}
			writeAnchorFile(t, c.dir, signAnchor(f, other))
		}},
		{"empty last segment with the one before it deleted and no anchor", func(t *testing.T, c refChain) {
			last := len(c.segs)
			if err := os.WriteFile(chain.SegmentPath(c.dir, last+1), []byte(`{"seq":`), 0o600); err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= last; n++ {
				if err := os.Remove(chain.SegmentPath(c.dir, n)); err != nil {
					t.Fatal(err)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ref.open(t)
			tc.prepare(t, c)
			w, err := chain.Open(c.dir, chain.Options{Signer: c.priv, KeyID: "ref"})
			if err == nil {
				w.Close()
			}
			if !errors.Is(err, chain.ErrBrokenTail) {
				t.Fatalf("Open = %v, want ErrBrokenTail", err)
			}
		})
	}
}
