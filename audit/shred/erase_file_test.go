package shred_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/internal/clock"
	_ "modernc.org/sqlite"
)

// TestEraseOverwritesKeyBytes reads a subject's key straight from the file,
// erases it, and checks that its bytes are nowhere in the database files.
func TestEraseOverwritesKeyBytes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shred.db")
	k := openKeys(t, path, clock.System)
	mustSeal(t, k, "p1:leo", map[string]string{"user.name": "leo"})
	for _, s := range []string{"p1:a", "p1:b", "p1:c"} {
		mustSeal(t, k, s, nil)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var key []byte
	err = db.QueryRow(`SELECT key FROM subject_keys WHERE subject = 'p1:leo'`).Scan(&key)
	db.Close()
	if err != nil || len(key) != 32 {
		t.Fatalf("reading the key: %v (%d bytes)", err, len(key))
	}
	if !filesContain(t, path, key) {
		t.Fatal("the key's bytes are not in the files before Erase: the search is wrong")
	}
	if _, err := k.Erase("p1:leo"); err != nil {
		t.Fatal(err)
	}
	if filesContain(t, path, key) {
		t.Fatal("the erased key's bytes are still in the database files")
	}
}

func filesContain(t *testing.T, path string, b []byte) bool {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-journal"} {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}
