package ratelimit_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from `caddy adapt`")

// TestAdaptGolden runs the real binary's `caddy adapt` on each
// testdata/*.caddyfile and compares the JSON with its golden file.
func TestAdaptGolden(t *testing.T) {
	t.Parallel()
	bin := testenv.CaddyBinary(t)
	inputs, err := filepath.Glob("testdata/*.caddyfile")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata/*.caddyfile (%v)", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".caddyfile")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "adapt", "--config", in, "--adapter", "caddyfile", "--pretty")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("caddy adapt %s: %v\n%s", in, err, stderr.String())
			}
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(stdout.Bytes()), bytes.TrimSpace(want)) {
				t.Fatalf("caddy adapt %s differs from %s (run with -update if intended):\n%s", in, golden, stdout.String())
			}
		})
	}
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
