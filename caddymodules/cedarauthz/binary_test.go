package cedarauthz_test

import (
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

// TestValidateNamesTheProblem runs `caddy validate` on bad configurations:
// it must fail and name the file and line of the problem, whether it is in
// the Caddyfile or in a policy file.
func TestValidateNamesTheProblem(t *testing.T) {
	t.Parallel()
	bin := testenv.CaddyBinary(t)
	badPolicies := copyPolicies(t)
	writeFile(t, filepath.Join(badPolicies, "production.cedar"),
		"// the policy starts on line 2\n@id(\"prod-read\")\npermit (principal, action, resource)\nwhen { principal.tem == \"ops\" };\n")
	badSchema := copyPolicies(t)
	writeFile(t, filepath.Join(badSchema, "portcullis.cedarschema"), "namespace Portcullis {\n  entity User {\n}\n")
	cases := []struct {
		name  string
		block string
		want  []string
	}{
		{"unknown option names the Caddyfile line", "cedar_authz {\n\t\tpolicy ./policies\n\t}", []string{"Caddyfile:3", `unrecognized option "policy"`}},
		{"bad action rule names the Caddyfile line", "cedar_authz {\n\t\tpolicies " + repoPolicies + "\n\t\taction post /x deploy\n\t}", []string{"Caddyfile:4", "upper-case HTTP method"}},
		{"bad resource template names the Caddyfile line", "cedar_authz {\n\t\tresource /api/{kind\n\t}", []string{"Caddyfile:3", "must be a literal or a whole {variable}"}},
		{"invalid policy names the policy file and line", "cedar_authz {\n\t\tpolicies " + badPolicies + "\n\t}",
			[]string{"cedar_authz: " + filepath.Join(badPolicies, "production.cedar") + ":2:", "attribute `tem` on entity type `Portcullis::User` not found", `did you mean "team"?`}},
		{"invalid schema names the schema file and line", "cedar_authz {\n\t\tpolicies " + badSchema + "\n\t}",
			[]string{"cedar_authz: " + filepath.Join(badSchema, "portcullis.cedarschema") + ":4:1:"}},
		{"action the schema does not declare", "cedar_authz {\n\t\tpolicies " + repoPolicies + "\n\t\taction POST /api/launch launch\n\t}",
			[]string{`the schema declares no action "launch"`}},
		{"missing policy directory", "cedar_authz {\n\t\tpolicies /nonexistent/policies\n\t}", []string{"cedar_authz: reading policy directory", "/nonexistent/policies"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cf := filepath.Join(dir, "Caddyfile")
			writeFile(t, cf, "http://127.0.0.1:8080 {\n\t"+c.block+"\n\trespond ok\n}\n")
			cmd := exec.Command(bin, "validate", "--config", cf, "--adapter", "caddyfile")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("caddy validate accepted the configuration:\n%s", out)
			}
			// The error is in a JSON log line: undo its quote escaping.
			text := strings.ReplaceAll(string(out), `\"`, `"`)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("caddy validate output does not contain %q:\n%s", w, out)
				}
			}
		})
	}
}
