package caddymodules_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/testenv"
)

// The custom build must be a complete Caddy: version, the standard modules and ours.
func TestBinaryListsOurModules(t *testing.T) {
	t.Parallel()
	bin := testenv.CaddyBinary(t)
	out, err := exec.Command(bin, "list-modules").CombinedOutput()
	if err != nil {
		t.Fatalf("caddy list-modules: %v\n%s", err, out)
	}
	for _, id := range []string{
		"portcullis",
		"http.handlers.rate_limit",
		"http.handlers.jwt_auth",
		"http.handlers.mfa_stepup",
		"http.handlers.cedar_authz",
		"http.handlers.audit",
		"http.handlers.reverse_proxy", // a standard module, to prove the build is complete
		"http.handlers.file_server",
	} {
		if !strings.Contains(string(out), id+"\n") {
			t.Errorf("caddy list-modules does not list %s", id)
		}
	}
	v, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(v), "v2.11.") {
		t.Fatalf("caddy version = %q, %v; want v2.11.x", v, err)
	}
}
