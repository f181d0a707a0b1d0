package shred_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/audit/shred"
	"github.com/portcullis/portcullis/internal/clock"
)

// FuzzOpen feeds arbitrary strings to Open: it must never panic, fail with
// ErrMalformed or ErrErased only, and accept only what Seal made.
func FuzzOpen(f *testing.F) {
	k := openKeys(f, filepath.Join(f.TempDir(), "shred.db"), clock.System)
	good := mustSeal(f, k, "p1:fuzz", map[string]string{"user.name": "fuzz"})
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add("s1.p1:nokey." + good[len("s1.p1:fuzz."):])
	f.Add("s1..")
	f.Add("s1.p1:fuzz.")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := k.Open(in)
		switch {
		case err == nil:
			if got == nil {
				t.Fatalf("Open(%q) = nil map, no error", in)
			}
		case !errors.Is(err, shred.ErrMalformed) && !errors.Is(err, shred.ErrErased):
			t.Fatalf("Open(%q) = %v, want ErrMalformed or ErrErased", in, err)
		}
	})
}
