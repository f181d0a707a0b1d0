package shred_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/shred"
	"github.com/portcullis/portcullis/internal/clock"
)

func openKeys(t testing.TB, path string, c clock.Clock) *shred.Keys {
	t.Helper()
	k, err := shred.OpenKeysWithClock(path, c)
	if err != nil {
		t.Fatalf("OpenKeys: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func newKeys(t testing.TB) *shred.Keys {
	return openKeys(t, filepath.Join(t.TempDir(), "keys", "shred.db"), clock.System)
}

func mustSeal(t testing.TB, k *shred.Keys, subject string, fields map[string]string) string {
	t.Helper()
	s, err := k.Seal(subject, fields)
	if err != nil {
		t.Fatalf("Seal(%q): %v", subject, err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	cases := map[string]map[string]string{
		"two fields":   {"user.name": "alice", "source.ip": "192.0.2.7"},
		"no fields":    {},
		"nil fields":   nil,
		"unicode":      {"user.full_name": "Zoë Ångström 山田", "quote": `"\n</script>`},
		"empty values": {"user.email": ""},
	}
	for name, fields := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sealed := mustSeal(t, k, "p1:Abc-_09", fields)
			if !strings.HasPrefix(sealed, "s1.p1:Abc-_09.") {
				t.Fatalf("sealed = %q, want the s1.<subject>. prefix", sealed)
			}
			for _, f := range fields {
				if f != "" && strings.Contains(sealed, f) {
					t.Fatalf("sealed value shows %q", f)
				}
			}
			got, err := k.Open(sealed)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if len(got) != len(fields) || (len(fields) > 0 && !maps.Equal(got, fields)) {
				t.Fatalf("Open = %v, want %v", got, fields)
			}
		})
	}
}

func TestSealIsFreshEachTime(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	f := map[string]string{"user.name": "bob"}
	if a, b := mustSeal(t, k, "p1:x", f), mustSeal(t, k, "p1:x", f); a == b {
		t.Fatal("two seals of the same fields are identical: the nonce is not random")
	}
}

func TestEraseMakesValuesUnreadable(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	sealed := mustSeal(t, k, "p1:carol", map[string]string{"user.name": "carol"})
	kept := mustSeal(t, k, "p1:dave", map[string]string{"user.name": "dave"})
	stored := []byte(sealed) // what the chain holds

	existed, err := k.Erase("p1:carol")
	if err != nil || !existed {
		t.Fatalf("Erase = %v, %v; want true", existed, err)
	}
	if _, err := k.Open(string(stored)); !errors.Is(err, shred.ErrErased) {
		t.Fatalf("Open after Erase = %v, want ErrErased", err)
	}
	if string(stored) != sealed {
		t.Fatal("the sealed bytes changed")
	}
	if _, err := k.Open(kept); err != nil {
		t.Fatalf("another subject's value: %v", err)
	}
	if existed, err := k.Erase("p1:carol"); err != nil || existed {
		t.Fatalf("second Erase = %v, %v; want false, nil", existed, err)
	}
	// A new value for the subject gets a new key; the old one stays erased.
	fresh := mustSeal(t, k, "p1:carol", map[string]string{"user.name": "carol"})
	if _, err := k.Open(fresh); err != nil {
		t.Fatalf("Open of a value sealed after erasure: %v", err)
	}
	if _, err := k.Open(sealed); !errors.Is(err, shred.ErrMalformed) {
		t.Fatalf("Open of the old value under the new key = %v, want ErrMalformed", err)
	}
}

func TestEraseReachesOtherStoresAfterTTL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shred.db")
	clk := clock.NewManual(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	gateway := openKeys(t, path, clk)
	secretsd := openKeys(t, path, clk)

	sealed := mustSeal(t, gateway, "p1:erin", map[string]string{"user.name": "erin"})
	if _, err := secretsd.Open(sealed); err != nil { // caches the key
		t.Fatalf("Open in the other store: %v", err)
	}
	if _, err := gateway.Erase("p1:erin"); err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.Open(sealed); !errors.Is(err, shred.ErrErased) {
		t.Fatalf("Open in the erasing store = %v, want ErrErased at once", err)
	}
	clk.Advance(shred.CacheTTL - time.Nanosecond)
	if _, err := secretsd.Open(sealed); err != nil {
		t.Fatalf("Open in the other store within the TTL = %v, want the cached key", err)
	}
	clk.Advance(time.Nanosecond)
	if _, err := secretsd.Open(sealed); !errors.Is(err, shred.ErrErased) {
		t.Fatalf("Open in the other store after the TTL = %v, want ErrErased", err)
	}
}

func TestConcurrentFirstSealsShareOneKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shred.db")
	stores := []*shred.Keys{openKeys(t, path, clock.System), openKeys(t, path, clock.System), openKeys(t, path, clock.System)}
	var wg sync.WaitGroup
	sealed := make([]string, 12)
	errs := make([]error, len(sealed))
	for i := range sealed {
		wg.Go(func() {
			sealed[i], errs[i] = stores[i%len(stores)].Seal("p1:frank", map[string]string{"n": "x"})
		})
	}
	wg.Wait()
	for i, s := range sealed {
		if errs[i] != nil {
			t.Fatalf("Seal %d: %v", i, errs[i])
		}
		for _, k := range stores {
			if _, err := k.Open(s); err != nil {
				t.Fatalf("value %d does not open in every store: %v", i, err)
			}
		}
	}
}

func TestMovedValueDoesNotOpen(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	sealed := mustSeal(t, k, "p1:grace", map[string]string{"user.name": "grace"})
	mustSeal(t, k, "p1:heidi", nil) // heidi has a key
	box := strings.TrimPrefix(sealed, "s1.p1:grace.")
	cases := map[string]error{
		"s1.p1:heidi." + box: shred.ErrMalformed, // another key: GCM fails
		"s1.p1:ivan." + box:  shred.ErrErased,    // no key at all
	}
	for moved, want := range cases {
		if got, err := k.Open(moved); !errors.Is(err, want) {
			t.Errorf("Open(%.20s…) = %v, %v; want %v", moved, got, err, want)
		}
	}
}

func TestOpenRejectsMalformed(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	good := mustSeal(t, k, "p1:judy", map[string]string{"a": "b"})
	flipped := []byte(good)
	flipped[len(flipped)-3] ^= 1
	if flipped[len(flipped)-3] == '.' {
		flipped[len(flipped)-3] = 'A'
	}
	cases := map[string]string{
		"empty":                 "",
		"no prefix":             strings.TrimPrefix(good, "s1."),
		"other version":         "s2" + strings.TrimPrefix(good, "s1"),
		"no box":                "s1.p1:judy",
		"bad subject":           "s1.p1/judy.AAAA",
		"subject too long":      "s1." + strings.Repeat("a", 129) + ".AAAA",
		"not base64url":         "s1.p1:judy.+/+/",
		"padded base64":         good + "=",
		"too short":             "s1.p1:judy.AAAA",
		"flipped ciphertext":    string(flipped),
		"extra dot in the box":  good[:len(good)-4] + "." + good[len(good)-3:],
		"too long to be sealed": "s1.p1:judy." + strings.Repeat("A", 70000),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := k.Open(in); !errors.Is(err, shred.ErrMalformed) {
				t.Fatalf("Open = %v, %v; want ErrMalformed", got, err)
			}
		})
	}
}

func TestSealRejectsBadSubjects(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	for _, s := range []string{"", "p1.x", "p1 x", "p1:ü", strings.Repeat("a", 129)} {
		if _, err := k.Seal(s, nil); !errors.Is(err, shred.ErrBadSubject) {
			t.Errorf("Seal(%q) = %v, want ErrBadSubject", s, err)
		}
		if _, err := k.Erase(s); !errors.Is(err, shred.ErrBadSubject) {
			t.Errorf("Erase(%q) = %v, want ErrBadSubject", s, err)
		}
	}
}

func TestKeyFileIsPrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "shred.db")
	k := openKeys(t, path, clock.System)
	mustSeal(t, k, "p1:k", nil)
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", p, got, want)
		}
	}
}
