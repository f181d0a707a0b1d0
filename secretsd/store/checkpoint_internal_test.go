package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// With the checkpoints moved out of the writer's way, the WAL must still be
// started over regularly: it stays near sqliteWriterCheckpoint pages however
// many writes go through.
func TestWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secretsd.db")
	s, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ss := s.(*sqlStore)
	ctx := context.Background()
	// About 5 times sqliteWriterCheckpoint pages of WAL.
	for i := range 20 * checkpointEvery {
		if _, err := ss.exec(ctx, ss.w, `INSERT INTO settings (name, value) VALUES (?, ?)`, fmt.Sprint("k", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Twice the bound: a WAL is started over only if no read is under way.
	if limit := int64(2 * sqliteWriterCheckpoint * 4096); fi.Size() > limit {
		t.Fatalf("the WAL grew to %d bytes, want ≤ %d", fi.Size(), limit)
	}
}
