package chain_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/chain"
)

type anchorFields struct {
	Segment int    `json:"segment"`
	Seq     uint64 `json:"seq"`
	Prev    string `json:"prev"`
	Time    string `json:"time"`
	KeyID   string `json:"key_id"`
}

// signAnchor builds an anchor file as the package comment specifies.
func signAnchor(f anchorFields, key ed25519.PrivateKey) []byte {
	k, _ := json.Marshal(f.KeyID)
	body := fmt.Sprintf(`{"segment":%d,"seq":%d,"prev":"%s","time":"%s","key_id":%s}`, f.Segment, f.Seq, f.Prev, f.Time, k)
	sig := ed25519.Sign(key, []byte("portcullis-audit-anchor-v1\n"+body))
	return []byte(`{"anchor":` + body + `,"sig":"` + base64.StdEncoding.EncodeToString(sig) + `"}` + "\n")
}

func readAnchorFields(t *testing.T, dir string) anchorFields {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, chain.AnchorFile))
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Anchor anchorFields }
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v.Anchor
}

func writeAnchorFile(t *testing.T, dir string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, chain.AnchorFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// expire anchors the chain after segment k and deletes segments 1..k, as
// retention does; it returns the seq of the first record kept.
func (c refChain) expire(t *testing.T, k int) uint64 {
	t.Helper()
	if err := chain.WriteAnchor(c.dir, k, c.priv, "ref"); err != nil {
		t.Fatalf("WriteAnchor: %v", err)
	}
	for n := 1; n <= k; n++ {
		if err := os.Remove(chain.SegmentPath(c.dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return seqOf(c.lines[c.segs[k]][0])
}

func TestAnchorLetsExpiredSegmentsGo(t *testing.T) {
	t.Parallel()
	ref := buildRef(t)
	c := ref.open(t)
	if len(c.segs) < 4 {
		t.Fatalf("reference chain has %d segments, want at least 4", len(c.segs))
	}
	first := c.expire(t, 2)
	rep, err := chain.Verify(c.dir, c.pub)
	if err != nil {
		t.Fatalf("Verify after expiry: %v", err)
	}
	if rep.Anchor == nil || rep.Anchor.Segment != 3 || rep.Anchor.Seq != first-1 || rep.Anchor.KeyID != "ref" {
		t.Fatalf("report anchor = %+v, want segment 3 after seq %d", rep.Anchor, first-1)
	}
	if rep.Records != 40-(first-1) || rep.LastSeq != 40 || rep.Segments != len(c.segs)-2 {
		t.Fatalf("report = %+v; want %d records from seq %d, last 40", rep, 40-(first-1), first)
	}
	// The anchor's prev is the hash of the deleted segment's last line.
	last := c.lines[c.segs[1]][len(c.lines[c.segs[1]])-1]
	sum := sha256.Sum256(last)
	if a := readAnchorFields(t, c.dir); a.Prev != hex.EncodeToString(sum[:]) {
		t.Fatalf("anchor prev = %s, want the hash of %s's last line", a.Prev, segName(2))
	}

	// A second expiry moves the anchor on; an older one never moves it back.
	c.expire(t, 3)
	if err := chain.WriteAnchor(c.dir, 2, c.priv, "ref"); err != nil {
		t.Fatalf("WriteAnchor behind the anchor: %v", err)
	}
	if a := readAnchorFields(t, c.dir); a.Segment != 4 {
		t.Fatalf("anchor segment = %d after an older WriteAnchor, want 4", a.Segment)
	}
	if _, err := chain.Verify(c.dir, c.pub); err != nil {
		t.Fatalf("Verify after second expiry: %v", err)
	}
}

func TestAnchorLeftoverSegmentsAreIgnored(t *testing.T) {
	t.Parallel()
	c := buildRef(t).open(t)
	// A retention run that wrote its anchor and stopped after deleting only
	// the first of its segments.
	if err := chain.WriteAnchor(c.dir, 3, c.priv, "ref"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(chain.SegmentPath(c.dir, 1)); err != nil {
		t.Fatal(err)
	}
	rep, err := chain.Verify(c.dir, c.pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Segments != len(c.segs)-3 {
		t.Fatalf("verified %d segments, want %d", rep.Segments, len(c.segs)-3)
	}
}

func TestAnchorTamperingIsFound(t *testing.T) {
	t.Parallel()
	ref := buildRef(t)
	_, other := newKey(t)
	cases := []struct {
		name string
		// tamper changes the expired chain and returns the seq the problem
		// must name; first is the seq of the first record kept.
		tamper func(t *testing.T, c refChain, first uint64) uint64
		kind   error
		file   string
	}{
		{"anchor signed by another key", func(t *testing.T, c refChain, first uint64) uint64 {
			writeAnchorFile(t, c.dir, signAnchor(readAnchorFields(t, c.dir), other))
			return first - 1
		}, chain.ErrBadSignature, chain.AnchorFile},
		{"anchor seq changed, signature kept", func(t *testing.T, c refChain, first uint64) uint64 {
			data, _ := os.ReadFile(filepath.Join(c.dir, chain.AnchorFile))
			s := strings.Replace(string(data), fmt.Sprintf(`"seq":%d,`, first-1), fmt.Sprintf(`"seq":%d,`, first), 1)
			writeAnchorFile(t, c.dir, []byte(s))
			return first
		}, chain.ErrBadSignature, chain.AnchorFile},
		{"anchor seq changed and re-signed with the key", func(t *testing.T, c refChain, first uint64) uint64 {
			f := readAnchorFields(t, c.dir)
			f.Seq += 2
			writeAnchorFile(t, c.dir, signAnchor(f, c.priv))
			return f.Seq + 1
		}, chain.ErrReordered, segName(3)},
		{"anchor prev changed and re-signed with the key", func(t *testing.T, c refChain, first uint64) uint64 {
			f := readAnchorFields(t, c.dir)
			f.Prev = strings.Repeat("ab", 32)
			writeAnchorFile(t, c.dir, signAnchor(f, c.priv))
			return first
		}, chain.ErrChainBroken, segName(3)},
		{"anchor is not an anchor", func(t *testing.T, c refChain, first uint64) uint64 {
			writeAnchorFile(t, c.dir, []byte("{}\n"))
			return 0
		}, chain.ErrMalformed, chain.AnchorFile},
		{"anchor removed", func(t *testing.T, c refChain, first uint64) uint64 {
			if err := os.Remove(filepath.Join(c.dir, chain.AnchorFile)); err != nil {
				t.Fatal(err)
			}
			return 1
		}, chain.ErrMissingSegment, segName(1)},
		{"anchor's first segment deleted too", func(t *testing.T, c refChain, first uint64) uint64 {
			if err := os.Remove(chain.SegmentPath(c.dir, 3)); err != nil {
				t.Fatal(err)
			}
			return first
		}, chain.ErrMissingSegment, segName(3)},
		{"anchor kept, every segment deleted", func(t *testing.T, c refChain, first uint64) uint64 {
			for _, s := range c.segs[2:] {
				if err := os.Remove(s); err != nil {
					t.Fatal(err)
				}
			}
			return first
		}, chain.ErrMissingSegment, segName(3)},
		{"segment after the anchor deleted", func(t *testing.T, c refChain, first uint64) uint64 {
			seq := seqOf(c.lines[c.segs[3]][0])
			if err := os.Remove(chain.SegmentPath(c.dir, 4)); err != nil {
				t.Fatal(err)
			}
			return seq
		}, chain.ErrMissingSegment, segName(4)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ref.open(t)
			first := c.expire(t, 2)
			want := tc.tamper(t, c, first)
			_, err := chain.Verify(c.dir, c.pub)
			var p *chain.Problem
			if !errors.As(err, &p) {
				t.Fatalf("Verify = %v, want a problem", err)
			}
			if !errors.Is(err, tc.kind) || p.Seq != want || p.File != tc.file {
				t.Fatalf("Verify = %v; want %v at seq %d in %s", err, tc.kind, want, tc.file)
			}
		})
	}
}

func TestSegmentDeletedWithoutAnchorIsFound(t *testing.T) {
	t.Parallel()
	c := buildRef(t).open(t)
	for n := 1; n <= 2; n++ {
		if err := os.Remove(chain.SegmentPath(c.dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := chain.Verify(c.dir, c.pub)
	var p *chain.Problem
	if !errors.As(err, &p) || !errors.Is(err, chain.ErrMissingSegment) || p.Seq != 1 || p.File != segName(1) {
		t.Fatalf("Verify = %v; want a missing segment at seq 1 in %s", err, segName(1))
	}
}

func TestWriteAnchorRefuses(t *testing.T) {
	t.Parallel()
	ref := buildRef(t)
	_, other := newKey(t)
	cases := []struct {
		name    string
		prepare func(t *testing.T, c refChain) (seg int, key ed25519.PrivateKey)
		want    string
	}{
		{"the last segment", func(t *testing.T, c refChain) (int, ed25519.PrivateKey) {
			return len(c.segs), c.priv
		}, "last segment"},
		{"a segment that does not exist", func(t *testing.T, c refChain) (int, ed25519.PrivateKey) {
			return len(c.segs) + 5, c.priv
		}, "reading"},
		{"a segment not sealed by the key", func(t *testing.T, c refChain) (int, ed25519.PrivateKey) {
			return 1, other
		}, "not sealed"},
		{"a segment whose checkpoint was cut", func(t *testing.T, c refChain) (int, ed25519.PrivateKey) {
			ls := c.lines[c.segs[0]]
			writeLines(t, c.segs[0], ls[:len(ls)-1])
			return 1, c.priv
		}, "not sealed"},
		{"a segment the next one does not continue", func(t *testing.T, c refChain) (int, ed25519.PrivateKey) {
			writeLines(t, c.segs[1], c.lines[c.segs[2]])
			return 1, c.priv
		}, "does not continue"},
		{"over a forged anchor", func(t *testing.T, c refChain) (int, ed25519.PrivateKey) {
			writeAnchorFile(t, c.dir, signAnchor(anchorFields{Segment: 9, Seq: 99, Prev: strings.Repeat("0", 64),
				Time: time.Now().UTC().Format(time.RFC3339Nano)}, other))
			return 1, c.priv
		}, "existing anchor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ref.open(t)
			seg, key := tc.prepare(t, c)
			before, _ := os.ReadFile(filepath.Join(c.dir, chain.AnchorFile))
			err := chain.WriteAnchor(c.dir, seg, key, "ref")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WriteAnchor(%d) = %v, want an error about %q", seg, err, tc.want)
			}
			after, _ := os.ReadFile(filepath.Join(c.dir, chain.AnchorFile))
			if string(before) != string(after) {
				t.Fatal("a refused WriteAnchor changed the anchor file")
			}
		})
	}
}
