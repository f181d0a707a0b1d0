package chain_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

// fuzzSeeds adds a real segment, its halves and some odd lines.
func fuzzSeeds(f *testing.F) (pubKey []byte, privKey []byte) {
	pub, priv := newKey(f)
	dir := f.TempDir()
	w := mustOpen(f, dir, chain.Options{Signer: priv, KeyID: "fuzz", CheckpointEvery: 2})
	mustAppend(f, w, payloads(0, 3))
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(filepath.Join(dir, "00000001.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Add([]byte("\n"))
	f.Add([]byte(`{"seq":1,"prev":"","hash":"","payload":{}}` + "\n"))
	f.Add([]byte(`{"checkpoint":{"seq":1},"sig":""}` + "\n"))
	f.Add([]byte(`{"seq":18446744073709551616,"prev":"`))
	return pub, priv
}

// writeSegment makes data the only segment in d (one directory per fuzz
// process, reused: a fresh TempDir per input makes fuzzing crawl).
func writeSegment(t *testing.T, d string, data []byte) string {
	old, _ := filepath.Glob(filepath.Join(d, "*.jsonl"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(d, "00000001.jsonl"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// FuzzVerifySegment feeds arbitrary bytes as a chain's only segment to
// Verify, which must never panic.
func FuzzVerifySegment(f *testing.F) {
	pub, _ := fuzzSeeds(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := chain.Verify(writeSegment(t, dir, data), pub)
		if (err == nil) != (rep.Problem == nil) {
			t.Fatalf("error %v but report problem %v", err, rep.Problem)
		}
	})
}

// FuzzOpenSegment feeds arbitrary bytes as the segment Open resumes from: it
// must not panic nor refuse what Verify calls intact, and an append to an
// intact chain keeps it intact.
func FuzzOpenSegment(f *testing.F) {
	pub, priv := fuzzSeeds(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		d := writeSegment(t, dir, data)
		_, verr := chain.Verify(d, pub)
		w, err := chain.Open(d, chain.Options{Signer: priv, CheckpointInterval: -1})
		if err != nil {
			if verr == nil {
				t.Fatalf("Verify accepts what Open refuses: %v", err)
			}
			return
		}
		if _, err := w.Append(payloads(0, 1)); err != nil {
			t.Fatalf("Append after Open: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if verr == nil {
			if _, err := chain.Verify(d, pub); err != nil {
				t.Fatalf("intact chain broken by an append: %v", err)
			}
		}
	})
}
