package store_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/portcullis/portcullis/secretsd/store"
)

// Close returns only when nothing of the store touches the database any more:
// statements are prepared in the background, and one still running after
// Close used to keep or open a connection, which writes SQLite's -wal and
// -shm files (seen as "TempDir RemoveAll cleanup: directory not empty" in
// tests). Closing right after the first uses catches it nearly every time.
func TestCloseWaitsForBackgroundWork(t *testing.T) {
	t.Parallel()
	for range 50 {
		dir := t.TempDir()
		s, err := store.Open(ctx, store.Config{Driver: store.DriverSQLite, Path: filepath.Join(dir, "secretsd.db")})
		noErr(t, err)
		// First uses of distinct queries, each prepared in the background.
		_, _ = s.CountUsers(ctx)
		_, _ = s.ListUsers(ctx)
		_, _ = s.GetUser(ctx, "nobody")
		_, _ = s.ListSigningKeys(ctx)
		_, _ = s.ListSessions(ctx, "nobody", t0)
		noErr(t, s.Close())
		// The last connection's close removes the -wal and -shm files; they
		// are there while any connection is still open.
		entries, err := os.ReadDir(dir)
		noErr(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"secretsd.db"}) {
			t.Fatalf("after Close the directory holds %v, want only secretsd.db", names)
		}
		noErr(t, os.RemoveAll(dir))
	}
}
