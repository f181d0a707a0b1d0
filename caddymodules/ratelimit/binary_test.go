package ratelimit_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testenv"
)

// TestAdaptGolden runs the real binary's `caddy adapt` on each
// testdata/*.caddyfile and compares the JSON with its golden file
// (go test -update rewrites them).
func TestAdaptGolden(t *testing.T) {
	t.Parallel()
	testenv.AdaptGoldenDir(t, "testdata")
}

// TestValidateNamesLineAndProblem: `caddy validate` on a bad rate_limit
// names the file, the line and what is wrong.
func TestValidateNamesLineAndProblem(t *testing.T) {
	t.Parallel()
	bin := testenv.CaddyBinary(t)
	dir := t.TempDir()
	site := func(body string) string {
		return "http://127.0.0.1:1 {\n\trate_limit {\n" + body + "\t}\n\trespond ok\n}\n"
	}
	cases := []struct {
		name    string
		config  string
		wantErr []string
	}{
		{"negative events", site("\t\tzone per_ip {\n\t\t\tevents -5\n\t\t}\n"), []string{"/Caddyfile:4", `events must be a positive integer, got "-5"`}},
		{"unknown zone subdirective", site("\t\tzone per_ip {\n\t\t\tlimit 5\n\t\t}\n"), []string{"/Caddyfile:4", `unrecognized option "limit"`}},
		{"unknown subdirective", site("\t\tzones per_ip\n"), []string{"/Caddyfile:3", `unrecognized option "zones"`}},
		{"missing zone name", site("\t\tzone {\n\t\t\tevents 5\n\t\t}\n"), []string{"/Caddyfile:3", "zone needs a name"}},
		{"bad window", site("\t\tzone z {\n\t\t\twindow 1x\n\t\t}\n"), []string{"/Caddyfile:4", `window "1x" is not a positive duration`}},
		{"zone declared twice", site("\t\tzone z\n\t\tzone z\n"), []string{"/Caddyfile:4", "zone z is declared twice"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sub := filepath.Join(dir, fmt.Sprint(i))
			_ = os.Mkdir(sub, 0o700)
			path := filepath.Join(sub, "Caddyfile")
			if err := os.WriteFile(path, []byte(c.config), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "validate", "--config", path, "--adapter", "caddyfile").CombinedOutput()
			if err == nil {
				t.Fatalf("caddy validate accepted:\n%s", c.config)
			}
			text := strings.ReplaceAll(string(out), `\"`, `"`) // the log line is JSON
			for _, w := range c.wantErr {
				if !strings.Contains(text, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	path := filepath.Join(dir, "Caddyfile.good")
	_ = os.WriteFile(path, []byte(site("\t\tzone per_ip {\n\t\t\tevents 5\n\t\t}\n")), 0o600)
	if out, err := exec.Command(bin, "validate", "--config", path, "--adapter", "caddyfile").CombinedOutput(); err != nil {
		t.Fatalf("caddy validate refused a good config: %v\n%s", err, out)
	}
}
