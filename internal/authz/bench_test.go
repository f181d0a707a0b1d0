package authz_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/portcullis/portcullis/internal/authz"
	"github.com/portcullis/portcullis/internal/clock"
)

// benchAuthorizer loads n generated policies (plus, with shadow, the same
// set again as a candidate).
func benchAuthorizer(b *testing.B, n int, shadow bool) *authz.Authorizer {
	b.Helper()
	dir := b.TempDir()
	schema, err := os.ReadFile(filepath.Join(repoPolicies, "portcullis.cedarschema"))
	if err != nil {
		b.Fatal(err)
	}
	writeFile(b, filepath.Join(dir, "portcullis.cedarschema"), string(schema))
	writeFile(b, filepath.Join(dir, "gen.cedar"), authz.GeneratePolicies(n))
	cfg := authz.Config{
		Policies:       authz.Source{Dir: dir},
		Environment:    "production",
		ReloadInterval: -1,
		Clock:          clock.NewManual(wednesday10),
	}
	if shadow {
		cand := b.TempDir()
		writeFile(b, filepath.Join(cand, "gen.cedar"), authz.GeneratePolicies(n))
		cfg.Shadow = &authz.Source{Schema: filepath.Join(dir, "portcullis.cedarschema"), Dir: cand}
	}
	a, err := authz.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if a.Policies().Len() != n {
		b.Fatalf("loaded %d policies", a.Policies().Len())
	}
	return a
}

func benchAuthorize(b *testing.B, a *authz.Authorizer) {
	p := user("Developer", authz.GenTeam(7), groups("g7"))
	req := authz.Request{Principal: p, Method: "PUT", Path: "/api/teams/" + authz.GenTeam(7) + "/" + authz.GenKind(7) + "/42", SourceIP: office, Time: wednesday10}
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Authorize(req)
	}
}

func BenchmarkAuthorize20Policies(b *testing.B)   { benchAuthorize(b, benchAuthorizer(b, 20, false)) }
func BenchmarkAuthorize1000Policies(b *testing.B) { benchAuthorize(b, benchAuthorizer(b, 1000, false)) }

// BenchmarkAuthorize1000PoliciesShadow measures what shadow mode adds to the
// enforced path: a second indexed evaluation of the same request.
func BenchmarkAuthorize1000PoliciesShadow(b *testing.B) {
	benchAuthorize(b, benchAuthorizer(b, 1000, true))
}

// BenchmarkAuthorizeRepositoryPolicies measures the shipped policies.
func BenchmarkAuthorizeRepositoryPolicies(b *testing.B) {
	benchAuthorize(b, newAuthorizer(b, "production"))
}

// BenchmarkLoad1000Policies measures parsing, validation and indexing: the
// cost of a hot reload.
func BenchmarkLoad1000Policies(b *testing.B) {
	schema, err := os.ReadFile(filepath.Join(repoPolicies, "portcullis.cedarschema"))
	if err != nil {
		b.Fatal(err)
	}
	gen := []byte(authz.GeneratePolicies(1000))
	for b.Loop() {
		if _, err := authz.LoadBytes("s.cedarschema", schema, map[string][]byte{"gen.cedar": gen}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthorize1000PoliciesDistinctUsers gives every request a new
// principal and client IP, so the entity and context caches never hit: the
// worst case (a different token per request).
func BenchmarkAuthorize1000PoliciesDistinctUsers(b *testing.B) {
	a := benchAuthorizer(b, 1000, false)
	users := make([]authz.Request, 100_000)
	for i := range users {
		p := user("Developer", authz.GenTeam(i), groups("g7"))
		p.Subject = "user-" + strconv.Itoa(i)
		users[i] = authz.Request{Principal: p, Method: "PUT", Path: "/api/teams/" + authz.GenTeam(i) + "/" + authz.GenKind(i) + "/42",
			SourceIP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Time: wednesday10}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = a.Authorize(users[i%len(users)])
		i++
	}
}
