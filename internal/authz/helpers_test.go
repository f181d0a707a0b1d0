package authz_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/authz"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/principal"
)

// repoPolicies is the policy directory the gateway ships.
const repoPolicies = "../../policies"

// wednesday10 is inside the production deployment window.
var wednesday10 = time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC)

// testRules are the action rules of the example Caddyfile.
func testRules(t testing.TB) []authz.ActionRule {
	t.Helper()
	var rules []authz.ActionRule
	for _, r := range [][3]string{
		{"POST", "/api/deployments/*/deploy", "deploy"},
		{"POST", "/api/deployments/*/rollback", "rollback"},
		{"POST", "/api/deployments/*/restart", "restart"},
		{"POST,PUT,PATCH,DELETE", "/api/admin/users*", "manage_users"},
		{"*", "/api/admin/keys/*", "manage_keys"},
	} {
		rule, err := authz.ParseActionRule(r[0], r[1], r[2])
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, rule)
	}
	return rules
}

// newAuthorizer loads the repository's policies for an environment.
func newAuthorizer(t testing.TB, env string, mod ...func(*authz.Config)) *authz.Authorizer {
	t.Helper()
	cfg := authz.Config{
		Policies:       authz.Source{Dir: repoPolicies},
		Environment:    env,
		ActionRules:    testRules(t),
		ReloadInterval: -1,
		Clock:          clock.NewManual(wednesday10),
	}
	for _, m := range mod {
		m(&cfg)
	}
	a, err := authz.New(cfg)
	if err != nil {
		t.Fatalf("authz.New: %v", err)
	}
	return a
}

// user is a principal with a recent MFA login from the given role and team.
func user(role, team string, opts ...func(*principal.Principal)) *principal.Principal {
	p := &principal.Principal{
		Subject:  "u-" + role,
		Role:     role,
		Team:     team,
		AMR:      []string{"pwd", "otp"},
		AuthTime: wednesday10.Add(-time.Minute),
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func mfaAge(d time.Duration) func(*principal.Principal) {
	return func(p *principal.Principal) { p.AuthTime = wednesday10.Add(-d) }
}

func authAt(t time.Time) func(*principal.Principal) {
	return func(p *principal.Principal) { p.AuthTime = t }
}

func noMFA(p *principal.Principal) { p.AMR = []string{"pwd"} }

func breakGlass(p *principal.Principal) { p.BreakGlass = true }

func groups(g ...string) func(*principal.Principal) {
	return func(p *principal.Principal) { p.Groups = g }
}

var (
	office   = netip.MustParseAddr("10.1.2.3")
	internet = netip.MustParseAddr("203.0.113.7")
)

// copyPolicies copies the repository's policies into a temporary directory
// that a test may edit.
func copyPolicies(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(repoPolicies)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(repoPolicies, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
