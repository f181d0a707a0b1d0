package loadbench

import (
	"fmt"
	"slices"
	"strings"
)

// Gateway describes the Caddyfile of one measured gateway.
type Gateway struct {
	AdminPort int
	Port      int
	Upstream  string // host:port of the demo upstream
	// Chain lists the gateway handlers to put in front of reverse_proxy, in
	// the order of caddymodules.ChainOrder; empty for bare reverse_proxy.
	Chain []string
	// RedisURL, when set, configures the portcullis app with Redis, so
	// rate_limit shares its limits through it.
	RedisURL string
	// AuditDir is the trail directory of the portcullis app's audit block,
	// written when Chain has "audit"; its keys go beside it.
	AuditDir string
	// Settings for the chain's handlers.
	ChainSettings ChainSettings
}

// ChainSettings are the handler options of the benchmark's chain.
type ChainSettings struct {
	JWKSFile    string
	Issuer      string
	Audience    string
	PoliciesDir string
	Environment string
}

// Directive blocks of the chain, as in the repo's Caddyfile (the example ops
// copy), except for the limit.
// Limits are far above what the load sends, so that no request is refused:
// the benchmark measures the cost of checking, not of refusing.
func directiveBlock(name string, s ChainSettings) string {
	switch name {
	case "audit":
		return "\taudit\n"
	case "rate_limit":
		return `	rate_limit {
		zone bench {
			key {remote_host}
			events 10000000
			window 1m
		}
	}
`
	case "jwt_auth":
		return fmt.Sprintf(`	jwt_auth {
		jwks %s
		issuer %s
		audience %s
		forward_claim sub X-Portcullis-User
		forward_claim role X-Portcullis-Role
		forward_claim team X-Portcullis-Team
	}
`, quote(s.JWKSFile), quote(s.Issuer), quote(s.Audience))
	case "mfa_stepup":
		// As in the repo's Caddyfile: step-up guards changes; the load
		// only reads, so the handler costs its matcher.
		return `	@changes not method GET HEAD OPTIONS
	mfa_stepup @changes {
		max_age 15m
		methods otp webauthn hwk
		step_up_url https://login.portcullis.local/step-up
	}
`
	case "cedar_authz":
		return fmt.Sprintf(`	cedar_authz {
		policies %s
		environment %s
		resource /api/teams/{team}/{kind}/{id}
		resource /api/teams/{team}/{kind}
		resource /api/{kind}/{id}
		resource /api/{kind}
		action POST /api/deployments/*/deploy deploy
		action POST /api/deployments/*/rollback rollback
	}
`, quote(s.PoliciesDir), s.Environment)
	}
	return ""
}

// KnownDirectives are the chain directives the benchmark knows how to
// configure, in chain order.
var KnownDirectives = []string{"audit", "rate_limit", "jwt_auth", "mfa_stepup", "cedar_authz"}

// Caddyfile renders the gateway's configuration: admin on its own port, no
// automatic HTTPS, no access log (Caddy logs requests only when a site has a
// `log` directive), plain HTTP on 127.0.0.1.
func (g Gateway) Caddyfile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\tadmin 127.0.0.1:%d\n\tpersist_config off\n\tauto_https off\n", g.AdminPort)
	audit := slices.Contains(g.Chain, "audit")
	if g.RedisURL != "" || audit {
		b.WriteString("\tportcullis {\n")
		if g.RedisURL != "" {
			fmt.Fprintf(&b, "\t\tredis %s\n", quote(g.RedisURL))
		}
		if audit {
			fmt.Fprintf(&b, "\t\taudit {\n\t\t\tdir %s\n\t\t}\n", quote(g.AuditDir))
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, "http://127.0.0.1:%d {\n", g.Port)
	for _, d := range g.Chain {
		b.WriteString(directiveBlock(d, g.ChainSettings))
	}
	fmt.Fprintf(&b, "\treverse_proxy %s\n}\n", g.Upstream)
	return b.String()
}

// quote makes a Caddyfile token of s: quoted when it holds characters that
// would split or start a block.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"{}#") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
