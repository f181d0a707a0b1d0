package chain_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func payload(i int) []byte {
	return []byte(fmt.Sprintf(`{"i":%d,"action":"test.event","msg":"hello \"world\""}`, i))
}

func payloads(from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = payload(from + i)
	}
	return out
}

func mustOpen(t testing.TB, dir string, opts chain.Options) *chain.Writer {
	t.Helper()
	w, err := chain.Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return w
}

func mustAppend(t testing.TB, w *chain.Writer, ps [][]byte) uint64 {
	t.Helper()
	first, err := w.Append(ps)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return first
}

func segments(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

// readLines returns the lines (without "\n") of a segment file.
func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	if len(data) == 0 {
		return nil
	}
	return bytes.Split(data, []byte("\n"))
}

func writeLines(t testing.TB, path string, lines [][]byte) {
	t.Helper()
	var b []byte
	for _, l := range lines {
		b = append(append(b, l...), '\n')
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the segment files of src into a new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, p := range segments(t, src) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(p)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func fmtSscanf(s string, n *int) (int, error) { return fmt.Sscanf(s, "%08d.jsonl", n) }

func segName(n int) string { return fmt.Sprintf("%08d.jsonl", n) }
