package chain_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

// AppendTrusted writes the same lines as Append and still refuses what would
// break the line format; Verify accepts the result.
func TestAppendTrustedWritesTheSameRecords(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	dirs := [2]string{t.TempDir(), t.TempDir()}
	for i, dir := range dirs {
		w := mustOpen(t, dir, chain.Options{Signer: priv, KeyID: "k1", CheckpointInterval: -1})
		appendFn := w.Append
		if i == 1 {
			appendFn = w.AppendTrusted
		}
		for _, first := range []int{1, 4} {
			if seq, err := appendFn(payloads(first, 3)); err != nil || seq != uint64(first) {
				t.Fatalf("append: seq %d, %v", seq, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rep, err := chain.Verify(dir, pub)
		if err != nil || rep.Records != 6 {
			t.Fatalf("Verify: %+v, %v", rep, err)
		}
	}
	a, b := readLines(t, segments(t, dirs[0])[0]), readLines(t, segments(t, dirs[1])[0])
	if len(a) != len(b) {
		t.Fatalf("%d lines vs %d", len(a), len(b))
	}
	// Records are identical; the checkpoints differ only by their time.
	for i := range 6 {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("line %d differs:\n%s\n%s", i+1, a[i], b[i])
		}
	}
}

func TestAppendTrustedRefusesBrokenFraming(t *testing.T) {
	t.Parallel()
	_, priv := newKey(t)
	w := mustOpen(t, t.TempDir(), chain.Options{Signer: priv})
	defer w.Close()
	for _, p := range []string{``, `{`, `[]`, `"x"`, `{"a":1`, "{\"a\":\n1}", "{\"a\":\r1}", ` {"a":1}`, `{"a":1} `} {
		if _, err := w.AppendTrusted([][]byte{[]byte(p)}); !errors.Is(err, chain.ErrInvalidPayload) {
			t.Errorf("payload %q: err = %v, want ErrInvalidPayload", p, err)
		}
	}
	// Nothing of a refused batch is written, even its valid payloads.
	if _, err := w.AppendTrusted([][]byte{[]byte(`{"a":1}`), []byte("{\n}")}); !errors.Is(err, chain.ErrInvalidPayload) {
		t.Fatalf("mixed batch: %v", err)
	}
	if seq, err := w.AppendTrusted([][]byte{[]byte(`{"a":1}`)}); err != nil || seq != 1 {
		t.Fatalf("after refusals: seq %d, %v; want 1", seq, err)
	}
}
