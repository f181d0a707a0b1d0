package mfastepup_test

import (
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
		line  string // options are checked where they stand; their combination at the block's end
		want  string
	}{
		{"unknown option", "\t\tmaxage 5m\n", "Caddyfile:3", `unrecognized option "maxage"`},
		{"negative max_age", "\t\tmax_age -1m\n", "Caddyfile:3", "not a non-negative duration"},
		{"acr outside the ladder", "\t\tacr gold\n", "Caddyfile:4", `acr "gold" is not one of the levels`},
		{"relative step-up URL", "\t\tstep_up_url /step-up\n", "Caddyfile:3", "not an absolute URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conf := "http://127.0.0.1:1 {\n\tmfa_stepup {\n" + c.block + "\t}\n\trespond ok\n}\n"
			out, ok := testenv.Validate(t, conf)
			if ok {
				t.Fatalf("caddy validate accepted:\n%s", conf)
			}
			if !strings.Contains(out, c.line) || !strings.Contains(out, c.want) {
				t.Fatalf("caddy validate said:\n%s\nwant the line (%s) and %q", out, c.line, c.want)
			}
		})
	}
}
