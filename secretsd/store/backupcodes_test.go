package store_test

import (
	"fmt"
	"testing"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func codeHashes(prefix string, n int) [][]byte {
	var hs [][]byte
	for i := range n {
		hs = append(hs, []byte(fmt.Sprintf("%s-hash-%02d", prefix, i)))
	}
	return hs
}

func TestBackupCodes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		mustUser(t, s, "u2")
		first := codeHashes("a", 10)
		noErr(t, s.ReplaceBackupCodes(ctx, "u1", first, t0))
		noErr(t, s.ReplaceBackupCodes(ctx, "u2", codeHashes("b", 10), t0))

		count := func(user string, want int) {
			t.Helper()
			if n, err := s.CountBackupCodes(ctx, user); err != nil || n != want {
				t.Fatalf("CountBackupCodes(%s) = %d, %v; want %d", user, n, err, want)
			}
		}
		use := func(user string, h []byte, want bool) {
			t.Helper()
			if ok, err := s.UseBackupCode(ctx, user, h, t0); err != nil || ok != want {
				t.Fatalf("UseBackupCode(%s, %s) = %v, %v; want %v", user, h, ok, err, want)
			}
		}
		count("u1", 10)
		use("u1", first[3], true)
		count("u1", 9)
		use("u1", first[3], false)               // each code once
		use("u2", first[4], false)               // another user's code
		use("u1", []byte("never-issued"), false) // unknown
		count("u2", 10)

		// Regenerating drops the old codes, used or not.
		second := codeHashes("c", 10)
		noErr(t, s.ReplaceBackupCodes(ctx, "u1", second, t0))
		count("u1", 10)
		use("u1", first[5], false)
		use("u1", second[5], true)

		wantErr(t, s.ReplaceBackupCodes(ctx, "u1", [][]byte{[]byte("x"), []byte("x")}, t0), store.ErrConflict)
		count("u1", 9) // the failed replace changed nothing

		noErr(t, s.DeleteBackupCodes(ctx, "u1"))
		count("u1", 0)
		count("u2", 10)

		t.Run("one of many concurrent uses of a code wins", func(t *testing.T) {
			h := codeHashes("b", 10)[7]
			wins := race(t, 20, func(int) (bool, error) { return s.UseBackupCode(ctx, "u2", h, t0) })
			if wins != 1 {
				t.Fatalf("%d winners, want 1", wins)
			}
			count("u2", 9)
		})
	})
}
