package loadbench_test

import (
	"os"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/loadbench"
)

func osReadFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}

func TestGatewayCaddyfile(t *testing.T) {
	t.Parallel()
	s := loadbench.ChainSettings{JWKSFile: "/tmp/a dir/jwks.json", Issuer: "https://portcullis.local", Audience: "portcullis-gateway",
		PoliciesDir: "/repo/policies", Environment: "production"}
	bare := loadbench.Gateway{AdminPort: 2019, Port: 8080, Upstream: "127.0.0.1:9000", ChainSettings: s}.Caddyfile()
	for _, want := range []string{"admin 127.0.0.1:2019", "auto_https off", "http://127.0.0.1:8080 {", "reverse_proxy 127.0.0.1:9000"} {
		if !strings.Contains(bare, want) {
			t.Errorf("bare Caddyfile lacks %q:\n%s", want, bare)
		}
	}
	for _, unwanted := range []string{"jwt_auth", "rate_limit", "portcullis {", "log"} {
		if strings.Contains(bare, unwanted) {
			t.Errorf("bare Caddyfile has %q:\n%s", unwanted, bare)
		}
	}

	chain := loadbench.Gateway{AdminPort: 2019, Port: 8080, Upstream: "127.0.0.1:9000", ChainSettings: s,
		Chain: loadbench.KnownDirectives, RedisURL: "redis://127.0.0.1:6379/0", AuditDir: "/work/gw audit/trail"}.Caddyfile()
	order := []string{"portcullis {", "redis redis://127.0.0.1:6379/0", "audit {", `dir "/work/gw audit/trail"`, "\taudit\n", "rate_limit {", "jwt_auth {", `jwks "/tmp/a dir/jwks.json"`,
		"mfa_stepup @changes {", "cedar_authz {", "policies /repo/policies", "environment production", "reverse_proxy"}
	last := -1
	for _, want := range order {
		i := strings.Index(chain, want)
		if i < 0 || i < last {
			t.Fatalf("chain Caddyfile lacks %q or has it out of order:\n%s", want, chain)
		}
		last = i
	}
	if strings.Count(chain, "{") != strings.Count(chain, "}") {
		t.Errorf("unbalanced braces:\n%s", chain)
	}
}
