package forward_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/forward"
)

func TestFileCursorsRoundTripAtomicallyWithPrivateFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "cursors")
	c := cursors(t, dir)
	if n := loadCursor(t, c, "splunk"); n != 0 {
		t.Fatalf("a new destination starts at %d, want 0", n)
	}
	for _, n := range []int64{1, 500, 1 << 62} {
		if err := c.Save("splunk", n); err != nil {
			t.Fatal(err)
		}
		if got := loadCursor(t, cursors(t, dir), "splunk"); got != n {
			t.Fatalf("Load = %d after Save(%d)", got, n)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "splunk.cursor"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("cursor file mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestFileCursorsRefuseBadNamesNegativeCursorsAndCorruptFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := cursors(t, dir)
	for _, name := range []string{"", "../etc/passwd", "a/b", "UPPER", strings.Repeat("x", 65)} {
		if _, err := c.Load(name); err == nil {
			t.Errorf("Load(%q) accepted", name)
		}
		if err := c.Save(name, 1); err == nil {
			t.Errorf("Save(%q) accepted", name)
		}
	}
	if err := c.Save("ok", -1); err == nil {
		t.Error("a negative cursor was saved")
	}
	for _, content := range []string{"", "12", "12\n\n", "-1\n", "1e3\n", "99999999999999999999\n", " 1\n"} {
		if err := os.WriteFile(filepath.Join(dir, "bad.cursor"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Load("bad"); err == nil || !strings.Contains(err.Error(), "bad.cursor") {
			t.Errorf("Load of %q = %d, %v; want an error naming the file", content, n, err)
		}
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := forward.FileCursors(file); err == nil {
		t.Error("FileCursors on a file was accepted")
	}
}
