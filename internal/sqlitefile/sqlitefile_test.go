package sqlitefile_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/internal/sqlitefile"
)

// Nodes preparing the same new file together all succeed, and the file is
// private and in WAL mode.
func TestPrepareConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "db.sqlite")
	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() { errs <- sqlitefile.Prepare(context.Background(), path, "PRAGMA page_size = 16384") }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("a concurrent Prepare failed: %v", err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", di.Mode().Perm())
	}
	db, err := sql.Open("sqlite", sqlitefile.DSN(path, "foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var pageSize, fk int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v; want wal", mode, err)
	}
	if err := db.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil || pageSize != 16384 {
		t.Errorf("page_size %d, %v", pageSize, err)
	}
	if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("the DSN's pragma did not apply: foreign_keys %d, %v", fk, err)
	}
}

func TestPrepareRefusesNoPath(t *testing.T) {
	t.Parallel()
	if err := sqlitefile.Prepare(context.Background(), ""); err == nil {
		t.Fatal("Prepare with no path succeeded")
	}
}
