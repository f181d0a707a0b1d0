package pseudo_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/audit/pseudo"
)

func TestLoadOrCreateKeyCreatesOnceAndAgrees(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secrets", "pseudonym.key")
	const callers = 8
	keys := make([]pseudo.Key, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if keys[i], err = pseudo.LoadOrCreateKey("k1", path); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range callers {
		if string(keys[i].Secret) != string(keys[0].Secret) || keys[i].ID != "k1" {
			t.Fatal("concurrent callers got different keys")
		}
	}
	if len(keys[0].Secret) != pseudo.MinKeySize {
		t.Errorf("secret of %d bytes, want %d", len(keys[0].Secret), pseudo.MinKeySize)
	}
	// The file is what KeyFromFile reads, and later calls read it back.
	for _, load := range []func(string, string) (pseudo.Key, error){pseudo.KeyFromFile, pseudo.LoadOrCreateKey} {
		k, err := load("k1", path)
		if err != nil || string(k.Secret) != string(keys[0].Secret) {
			t.Fatalf("reading the created key back: %v", err)
		}
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestLoadOrCreateKeyRefusesBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, id, path string
	}{
		{"bad id", "K 1", filepath.Join(dir, "new.key")},
		{"existing key too short", "k1", short},
	}
	for _, c := range cases {
		if _, err := pseudo.LoadOrCreateKey(c.id, c.path); !errors.Is(err, pseudo.ErrBadKey) {
			t.Errorf("%s: err = %v, want ErrBadKey", c.name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new.key")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a bad id left a key file behind")
	}
	before, _ := os.ReadFile(short)
	if after, _ := os.ReadFile(short); string(after) != string(before) {
		t.Error("an existing key file was rewritten")
	}
}
