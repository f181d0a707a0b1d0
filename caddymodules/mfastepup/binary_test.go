package mfastepup_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testenv"
)

func TestAdaptGolden(t *testing.T) {
	t.Parallel()
	testenv.AdaptGoldenDir(t, "testdata")
}

// `caddy validate` on a bad mfa_stepup names the file, the line and the problem.
func TestValidateNamesLineAndProblem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		block string
		want  string
	}{
		{"unknown option", "\t\tmaxage 5m\n", `unrecognized option "maxage"`},
		{"negative max_age", "\t\tmax_age -1m\n", "not a non-negative duration"},
		{"acr outside the ladder", "\t\tacr gold\n", `acr "gold" is not one of the levels`},
		{"relative step-up URL", "\t\tstep_up_url /step-up\n", "not an absolute URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			conf := "http://127.0.0.1:1 {\n\tmfa_stepup {\n" + c.block + "\t}\n\trespond ok\n}\n"
			path := filepath.Join(dir, "Caddyfile")
			if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := testenv.CaddyCLI(t, dir, nil, "validate", "--config", path, "--adapter", "caddyfile")
			out = strings.ReplaceAll(out, `\"`, `"`) // the message is inside a JSON log line
			if err == nil {
				t.Fatalf("caddy validate accepted:\n%s", conf)
			}
			if !strings.Contains(out, "Caddyfile:3") || !strings.Contains(out, c.want) {
				t.Fatalf("caddy validate said:\n%s\nwant the line (Caddyfile:3) and %q", out, c.want)
			}
		})
	}
}
