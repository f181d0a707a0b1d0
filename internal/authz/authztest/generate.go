// Package authztest generates large, realistic Cedar policy sets for the
// benchmarks and tests of internal/authz and caddymodules/cedarauthz.
package authztest

import (
	"fmt"
	"strings"
)

// Generated policy sets for benchmarks and the index equivalence test.
var (
	GenActions = []string{"read", "write", "delete", "deploy", "rollback", "scale", "restart"}
	GenRoles   = []string{"Admin", "Developer", "Operator", "Viewer", "Auditor"}
)

// GenKind and GenTeam name the generated kinds and teams.
func GenKind(i int) string { return fmt.Sprintf("kind%02d", i%50) }
func GenTeam(i int) string { return fmt.Sprintf("team%02d", i%20) }

// GeneratePolicies returns n distinct, schema-valid policies spread over
// actions, roles, teams and 50 resource kinds, the way a large installation
// writes them: most scoped to an action and a kind, every 50th to an action
// only, every 100th to a kind only (any action).
func GeneratePolicies(n int) string {
	var b strings.Builder
	act := func(i int) string { return `Portcullis::Action::"` + GenActions[i%len(GenActions)] + `"` }
	for i := range n {
		kind := GenKind(i / 3)
		role := GenRoles[i%len(GenRoles)]
		team := GenTeam(i / 7)
		fmt.Fprintf(&b, "@id(\"gen-%04d\")\n", i)
		resource := fmt.Sprintf(`resource in Portcullis::Kind::"%s"`, kind)
		action := "action == " + act(i)
		switch {
		case i%100 == 99:
			action = "action"
		case i%50 == 49:
			resource = "resource is Portcullis::Resource"
		}
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "permit (principal in Portcullis::Role::%q, %s, %s)\nwhen { context.environment == \"production\" && context.mfa };\n", role, action, resource)
		case 1:
			fmt.Fprintf(&b, "permit (principal in Portcullis::Team::%q, %s, %s)\nwhen { resource is Portcullis::Resource && resource.team == principal.team && context.mfa_age_seconds <= %d };\n", team, action, resource, 300+i)
		case 2:
			fmt.Fprintf(&b, "forbid (principal, %s, %s)\nwhen { context.hour < %d }\nunless { principal in Portcullis::Role::\"Admin\" };\n", action, resource, i%6)
		case 3:
			fmt.Fprintf(&b, "permit (principal in Portcullis::Group::\"g%d\", %s, %s)\nwhen { context.source_ip.isInRange(ip(\"10.%d.0.0/16\")) };\n", i%30, action, resource, i%256)
		case 4:
			fmt.Fprintf(&b, "forbid (principal in Portcullis::Role::%q, %s, %s)\nwhen { context.weekday == \"Sunday\" && !context.break_glass };\n", role, action, resource)
		}
	}
	return b.String()
}
