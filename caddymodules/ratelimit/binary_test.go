package ratelimit_test

import (
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
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, ok := testenv.Validate(t, c.config)
			if ok {
				t.Fatalf("caddy validate accepted:\n%s", c.config)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if out, ok := testenv.Validate(t, site("\t\tzone per_ip {\n\t\t\tevents 5\n\t\t}\n")); !ok {
		t.Fatalf("caddy validate refused a good config:\n%s", out)
	}
}
