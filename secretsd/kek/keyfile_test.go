package kek_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/secretsd/kek"
)

func TestLoadOrCreateLocalKeyFileCreatesPrivateFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state", "secretsd")
	path := filepath.Join(dir, "master.key")
	l, err := kek.LoadOrCreateLocalKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
	}
	b, _ := os.ReadFile(path)
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != kek.LocalKeySize {
		t.Fatalf("key file holds %q: want %d bytes of base64", b, kek.LocalKeySize)
	}
	if l.KeyID() != mustLocal(t, key).KeyID() {
		t.Fatal("the returned sealer does not use the key in the file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadOrCreateLocalKeyFileReusesKeyAcrossRestarts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	first, err := kek.LoadOrCreateLocalKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := first.Seal(ctx, []byte("seed"), []byte("totp:d"))
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := kek.LoadOrCreateLocalKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if restarted.KeyID() != first.KeyID() {
		t.Fatalf("key id changed across restarts: %s → %s", first.KeyID(), restarted.KeyID())
	}
	if pt, err := restarted.Open(ctx, sealed, []byte("totp:d")); err != nil || string(pt) != "seed" {
		t.Fatalf("Open after restart = %q, %v", pt, err)
	}
}

func TestLoadOrCreateLocalKeyFileConcurrentStartsAgree(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l, err := kek.LoadOrCreateLocalKeyFile(path)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = l.KeyID()
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent starts got different keys: %v", ids)
		}
	}
}

func TestLoadOrCreateLocalKeyFileRefuses(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(testKey(3)) + "\n"
	for _, tc := range []struct {
		name    string
		content string
		mode    os.FileMode
		want    []string // in the error
	}{
		{"readable by group", good, 0o640, []string{"chmod 600", "master.key"}},
		{"readable by others", good, 0o604, []string{"chmod 600", "master.key"}},
		{"not base64", "not a key at all\n", 0o600, []string{"master.key", "base64"}},
		{"wrong length", base64.StdEncoding.EncodeToString(testKey(3)[:16]), 0o600, []string{"master.key", "32 bytes"}},
		{"empty", "", 0o600, []string{"master.key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			_, err := kek.LoadOrCreateLocalKeyFile(path)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), strings.TrimSpace(good)) {
				t.Errorf("error %q reveals the key", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Error("the refused key file was changed")
			}
		})
	}
}

func TestLoadOrCreateLocalKeyFileRefusesDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := kek.LoadOrCreateLocalKeyFile(path); err == nil {
		t.Fatal("accepted a directory as the key file")
	}
}
