package kek_test

import (
	"bytes"
	"testing"
)

// FuzzLocalOpen: Open of arbitrary bytes errors and never panics; only a value
// Seal produced, with its aad, opens (forging one is what GCM prevents).
func FuzzLocalOpen(f *testing.F) {
	l := mustLocal(f, testKey(1))
	good, _ := l.Seal(ctx, []byte("seed"), []byte("aad"))
	f.Add(good, []byte("aad"))
	f.Add(good, []byte("other"))
	f.Add(good[:len(good)-1], []byte("aad"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte{})
	f.Add([]byte{1, 0}, []byte{})
	f.Add([]byte{1, 255}, []byte{})
	f.Add([]byte{2, 16, 'x'}, []byte{})
	f.Add(bytes.Repeat([]byte{1}, 64), []byte("aad"))
	f.Fuzz(func(t *testing.T, ct, aad []byte) {
		pt, err := l.Open(ctx, ct, aad)
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
			return
		}
		// Each fuzz worker seals its own seed (fresh nonce), so compare what
		// it opens to, not the bytes.
		if !bytes.Equal(aad, []byte("aad")) || string(pt) != "seed" {
			t.Fatalf("Open accepted a value Seal did not make: %x", ct)
		}
	})
}
