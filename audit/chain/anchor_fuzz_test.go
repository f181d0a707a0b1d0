package chain_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
)

// FuzzReadAnchor feeds anchor files to ReadAnchor: it must never panic, and
// whatever it accepts must be an anchor it could have written.
func FuzzReadAnchor(f *testing.F) {
	pub, priv := newKey(f)
	valid := signAnchor(anchorFields{Segment: 3, Seq: 17, Prev: strings.Repeat("ab", 32),
		Time: "2024-02-29T12:00:00.5Z", KeyID: "k\"1"}, priv)
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"anchor":{"segment":1,"seq":0},"sig":""}` + "\n"))
	f.Add([]byte(`{"anchor":{"segment":99999999999999999999},"sig":"` + "\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, chain.AnchorFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := chain.ReadAnchor(dir, pub)
		if err != nil {
			if _, ok := err.(*chain.Problem); !ok {
				t.Fatalf("ReadAnchor error %v is not a *Problem", err)
			}
			return
		}
		if a == nil || a.Segment < 2 || a.Seq < uint64(a.Segment-1) || len(a.Prev) != 64 {
			t.Fatalf("ReadAnchor accepted %q as %+v", data, a)
		}
	})
}
