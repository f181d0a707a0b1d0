package shred_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/clock"
)

// TestHelperSealProcess is the child of TestProcessesCreateOneKey: it seals
// a value for a new subject in the key file named by its environment.
func TestHelperSealProcess(t *testing.T) {
	path := os.Getenv("SHRED_TEST_KEY_FILE")
	if path == "" {
		return // run as an ordinary test: nothing to do
	}
	k := openKeys(t, path, clock.System)
	os.Stdout.WriteString(mustSeal(t, k, "p1:shared", map[string]string{"pid": "child"}) + "\n")
}

// TestProcessesCreateOneKey starts several processes that seal for the same
// new subject at once: they must all end up with the one key.
func TestProcessesCreateOneKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shred.db")
	const n = 4
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range cmds {
		outs[i] = &bytes.Buffer{}
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperSealProcess$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), "SHRED_TEST_KEY_FILE="+path)
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	k := openKeys(t, path, clock.System)
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i])
		}
		sealed, _, _ := strings.Cut(outs[i].String(), "\n")
		if got, err := k.Open(sealed); err != nil || got["pid"] != "child" {
			t.Fatalf("child %d's value %q: %v, %v", i, sealed, got, err)
		}
	}
}
