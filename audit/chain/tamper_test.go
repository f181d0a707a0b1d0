package chain_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

// loc is where a line of the reference chain lives.
type loc struct {
	file string
	idx  int // 0-based line index
}

type refChain struct {
	dir   string
	pub   ed25519.PublicKey
	priv  ed25519.PrivateKey
	lines map[string][][]byte // by file
	segs  []string
}

// buildRef writes 40 records in segments of about 1 KiB with a checkpoint
// every 3 records, and closes the chain.
func buildRef(t *testing.T) refChain {
	t.Helper()
	pub, priv := newKey(t)
	dir := t.TempDir()
	w := mustOpen(t, dir, chain.Options{Signer: priv, KeyID: "ref", SegmentBytes: 1200, CheckpointEvery: 3, CheckpointInterval: -1})
	for i := 0; i < 40; i += 2 {
		mustAppend(t, w, payloads(i, 2))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := chain.Verify(dir, pub); err != nil {
		t.Fatalf("reference chain: %v", err)
	}
	return refChain{dir: dir, pub: pub, priv: priv}
}

// open copies the reference chain and loads its lines.
func (r refChain) open(t *testing.T) refChain {
	t.Helper()
	c := r
	c.dir = copyDir(t, r.dir)
	c.segs = segments(t, c.dir)
	c.lines = map[string][][]byte{}
	for _, s := range c.segs {
		c.lines[s] = readLines(t, s)
	}
	return c
}

func (c refChain) save(t *testing.T) {
	t.Helper()
	for f, l := range c.lines {
		writeLines(t, f, l)
	}
}

func (c refChain) record(t *testing.T, seq uint64) loc {
	t.Helper()
	prefix := []byte(fmt.Sprintf(`{"seq":%d,`, seq))
	for _, s := range c.segs {
		for i, l := range c.lines[s] {
			if bytes.HasPrefix(l, prefix) {
				return loc{s, i}
			}
		}
	}
	t.Fatalf("no record %d", seq)
	return loc{}
}

// seqOf returns the seq of a record line, or 0 for a checkpoint.
func seqOf(line []byte) uint64 {
	var r struct{ Seq uint64 }
	if json.Unmarshal(line, &r) != nil {
		return 0
	}
	return r.Seq
}

// checkpointNotAtEnd finds a checkpoint that is followed by a record in its segment.
func (c refChain) checkpointNotAtEnd(t *testing.T) (loc, uint64) {
	t.Helper()
	for _, s := range c.segs[1:] {
		ls := c.lines[s]
		for i := 0; i < len(ls)-1; i++ {
			if bytes.HasPrefix(ls[i], []byte(`{"checkpoint":`)) {
				return loc{s, i}, seqOf(ls[i+1])
			}
		}
	}
	t.Fatal("no inner checkpoint")
	return loc{}, 0
}

type cpFields struct {
	Seq   uint64 `json:"seq"`
	Hash  string `json:"hash"`
	Time  string `json:"time"`
	KeyID string `json:"key_id"`
}

func parseCP(t *testing.T, line []byte) cpFields {
	t.Helper()
	var v struct{ Checkpoint cpFields }
	if err := json.Unmarshal(line, &v); err != nil {
		t.Fatal(err)
	}
	return v.Checkpoint
}

// signCP builds a checkpoint line as the package comment specifies.
func signCP(f cpFields, key ed25519.PrivateKey) []byte {
	k, _ := json.Marshal(f.KeyID)
	body := fmt.Sprintf(`{"seq":%d,"hash":"%s","time":"%s","key_id":%s}`, f.Seq, f.Hash, f.Time, k)
	sig := ed25519.Sign(key, []byte("portcullis-audit-checkpoint-v1\n"+body))
	return []byte(`{"checkpoint":` + body + `,"sig":"` + base64.StdEncoding.EncodeToString(sig) + `"}`)
}

func flipHex(b byte) byte {
	if b == '0' {
		return '1'
	}
	return '0'
}

func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	ref := buildRef(t)
	const target = 8

	cases := []struct {
		name string
		// tamper changes the chain and returns the seq the problem must name.
		tamper func(t *testing.T, c refChain) uint64
		kind   error
	}{
		{"flip payload byte", func(t *testing.T, c refChain) uint64 {
			l := c.record(t, target)
			line := c.lines[l.file][l.idx]
			line[bytes.Index(line, []byte(`"action"`))+3] ^= 0x01
			return target
		}, chain.ErrHashMismatch},
		{"flip payload byte into other valid JSON", func(t *testing.T, c refChain) uint64 {
			l := c.record(t, target)
			line := c.lines[l.file][l.idx]
			line[bytes.Index(line, []byte(`{"i":`))+5]++ // "i":8 -> "i":9
			return target
		}, chain.ErrHashMismatch},
		{"flip hash byte", func(t *testing.T, c refChain) uint64 {
			l := c.record(t, target)
			line := c.lines[l.file][l.idx]
			i := bytes.Index(line, []byte(`"hash":"`)) + 20
			line[i] = flipHex(line[i])
			return target
		}, chain.ErrHashMismatch},
		{"flip prev byte", func(t *testing.T, c refChain) uint64 {
			l := c.record(t, target)
			line := c.lines[l.file][l.idx]
			i := bytes.Index(line, []byte(`"prev":"`)) + 10
			line[i] = flipHex(line[i])
			return target
		}, chain.ErrHashMismatch},
		{"flip seq digit", func(t *testing.T, c refChain) uint64 {
			l := c.record(t, target)
			c.lines[l.file][l.idx][len(`{"seq":`)] = '9'
			return target
		}, chain.ErrHashMismatch},
		{"flip key spelling", func(t *testing.T, c refChain) uint64 {
			l := c.record(t, target)
			c.lines[l.file][l.idx][3] = 'S' // "seq" -> "Seq", same to a JSON decoder
			return target
		}, chain.ErrMalformed},
		{"delete a record line", func(t *testing.T, c refChain) uint64 {
			l := c.record(t, target)
			c.lines[l.file] = append(c.lines[l.file][:l.idx:l.idx], c.lines[l.file][l.idx+1:]...)
			return target
		}, chain.ErrRemoved},
		{"swap two records", func(t *testing.T, c refChain) uint64 {
			for seq := uint64(2); ; seq++ {
				a, b := c.record(t, seq), c.record(t, seq+1)
				if a.file == b.file && b.idx == a.idx+1 {
					ls := c.lines[a.file]
					ls[a.idx], ls[b.idx] = ls[b.idx], ls[a.idx]
					return seq
				}
			}
		}, chain.ErrReordered},
		{"delete a checkpoint line", func(t *testing.T, c refChain) uint64 {
			l, next := c.checkpointNotAtEnd(t)
			c.lines[l.file] = append(c.lines[l.file][:l.idx:l.idx], c.lines[l.file][l.idx+1:]...)
			return next
		}, chain.ErrChainBroken},
		{"truncate a middle segment at a line boundary", func(t *testing.T, c refChain) uint64 {
			s := c.segs[1]
			ls := c.lines[s]
			firstCut := seqOf(ls[len(ls)-2])
			if firstCut == 0 {
				firstCut = seqOf(ls[len(ls)-3])
				c.lines[s] = ls[:len(ls)-3]
			} else {
				c.lines[s] = ls[:len(ls)-2]
			}
			return firstCut
		}, chain.ErrTruncated},
		{"truncate the last segment mid-record", func(t *testing.T, c refChain) uint64 {
			s := c.segs[len(c.segs)-1]
			ls := c.lines[s]
			seq := seqOf(ls[len(ls)-2])
			var b []byte
			for _, l := range ls[:len(ls)-2] {
				b = append(append(b, l...), '\n')
			}
			b = append(b, ls[len(ls)-2][:50]...)
			delete(c.lines, s)
			if err := os.WriteFile(s, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return seq
		}, chain.ErrTornWrite},
		{"cut the final checkpoint and last record", func(t *testing.T, c refChain) uint64 {
			s := c.segs[len(c.segs)-1]
			ls := c.lines[s]
			c.lines[s] = ls[:len(ls)-2]
			// The records after the previous checkpoint are reported.
			for i := len(ls) - 3; i >= 0; i-- {
				if seqOf(ls[i]) == 0 {
					return seqOf(ls[i+1])
				}
			}
			return seqOf(ls[0])
		}, chain.ErrUnsealed},
		{"delete a middle segment", func(t *testing.T, c refChain) uint64 {
			s := c.segs[1]
			seq := seqOf(c.lines[s][0])
			delete(c.lines, s)
			if err := os.Remove(s); err != nil {
				t.Fatal(err)
			}
			return seq
		}, chain.ErrMissingSegment},
		{"checkpoint re-signed with another key", func(t *testing.T, c refChain) uint64 {
			l, _ := c.checkpointNotAtEnd(t)
			f := parseCP(t, c.lines[l.file][l.idx])
			_, other := newKey(t)
			c.lines[l.file][l.idx] = signCP(f, other)
			return f.Seq
		}, chain.ErrBadSignature},
		{"checkpoint hash altered, signature kept", func(t *testing.T, c refChain) uint64 {
			l, _ := c.checkpointNotAtEnd(t)
			line := c.lines[l.file][l.idx]
			f := parseCP(t, line)
			i := bytes.Index(line, []byte(`"hash":"`)) + 8
			line[i] = flipHex(line[i])
			return f.Seq
		}, chain.ErrBadSignature},
		{"checkpoint hash altered and re-signed with the key", func(t *testing.T, c refChain) uint64 {
			l, _ := c.checkpointNotAtEnd(t)
			f := parseCP(t, c.lines[l.file][l.idx])
			f.Hash = string(bytes.Repeat([]byte("ab"), 32))
			c.lines[l.file][l.idx] = signCP(f, c.priv)
			return f.Seq
		}, chain.ErrCheckpointMismatch},
		{"checkpoint seq altered and re-signed with the key", func(t *testing.T, c refChain) uint64 {
			l, _ := c.checkpointNotAtEnd(t)
			f := parseCP(t, c.lines[l.file][l.idx])
			want := f.Seq
			f.Seq--
			c.lines[l.file][l.idx] = signCP(f, c.priv)
			return want
		}, chain.ErrCheckpointMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ref.open(t)
			want := tc.tamper(t, c)
			c.save(t)
			_, err := chain.Verify(c.dir, c.pub)
			var p *chain.Problem
			if !errors.As(err, &p) {
				t.Fatalf("Verify = %v, want a problem", err)
			}
			if !errors.Is(err, tc.kind) || p.Seq != want {
				t.Fatalf("Verify = %v; want %v at seq %d", err, tc.kind, want)
			}
		})
	}
}

// TestVerifyFindsEverySingleByteChange flips each byte of a record line and
// of a checkpoint line in turn.
func TestVerifyFindsEverySingleByteChange(t *testing.T) {
	t.Parallel()
	ref := buildRef(t).open(t)
	recLoc := ref.record(t, 8)
	cpLoc, _ := ref.checkpointNotAtEnd(t)
	cpSeq := parseCP(t, ref.lines[cpLoc.file][cpLoc.idx]).Seq
	for _, tc := range []struct {
		l   loc
		seq uint64
	}{{recLoc, 8}, {cpLoc, cpSeq}} {
		orig, err := os.ReadFile(tc.l.file)
		if err != nil {
			t.Fatal(err)
		}
		start := 0
		for i := 0; i < tc.l.idx; i++ {
			start += len(ref.lines[tc.l.file][i]) + 1
		}
		for i := 0; i < len(ref.lines[tc.l.file][tc.l.idx]); i++ {
			for _, mask := range []byte{0x01, 0x20, 0x80} {
				data := bytes.Clone(orig)
				data[start+i] ^= mask
				if err := os.WriteFile(tc.l.file, data, 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := chain.Verify(ref.dir, ref.pub)
				var p *chain.Problem
				if !errors.As(err, &p) || p.Seq != tc.seq || p.File != filepath.Base(tc.l.file) || p.Line != tc.l.idx+1 {
					t.Fatalf("byte %d ^ %#x of %s line %d: Verify = %v; want a problem at seq %d there",
						i, mask, filepath.Base(tc.l.file), tc.l.idx+1, err, tc.seq)
				}
			}
		}
		if err := os.WriteFile(tc.l.file, orig, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
