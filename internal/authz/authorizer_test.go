package authz_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/authz"
	"github.com/portcullis/portcullis/internal/principal"
)

type authzCase struct {
	name   string
	p      *principal.Principal
	method string
	path   string
	ip     netip.Addr
	at     time.Time // zero: wednesday10
	allow  bool
	policy string // a policy id expected among the determining ones ("" = none expected)
}

func runCases(t *testing.T, a *authz.Authorizer, cases []authzCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ip := c.ip
			if !ip.IsValid() {
				ip = office
			}
			at := c.at
			if at.IsZero() {
				at = wednesday10
			}
			d := a.Authorize(authz.Request{Principal: c.p, Method: c.method, Path: c.path, SourceIP: ip, Time: at})
			if d.Allowed != c.allow {
				t.Fatalf("allowed = %v, want %v (policies %v, errors %v, action %s, resource %s)", d.Allowed, c.allow, d.Policies, d.Errors, d.Action, d.Resource)
			}
			if c.policy != "" && !slices.Contains(d.Policies, c.policy) {
				t.Fatalf("determining policies = %v, want %q among them", d.Policies, c.policy)
			}
			if len(d.ID) != 32 {
				t.Fatalf("decision id %q is not 128 bits of hex", d.ID)
			}
		})
	}
}

func TestProductionPolicies(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, "production")
	saturday := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	night := time.Date(2026, 3, 11, 22, 0, 0, 0, time.UTC)
	runCases(t, a, []authzCase{
		// Reading.
		{"viewer reads a deployment", user("Viewer", "ops"), "GET", "/api/deployments/42", office, time.Time{}, true, "prod-read"},
		{"auditor reads a team resource", user("Auditor", "audit"), "GET", "/api/teams/platform/services/api", office, time.Time{}, true, "prod-read"},
		{"viewer reads a path no template describes", user("Viewer", "ops"), "HEAD", "/healthz", office, time.Time{}, true, "prod-read"},
		{"unknown role reads nothing", user("Intern", "ops"), "GET", "/api/deployments/42", office, time.Time{}, false, ""},
		{"empty role reads nothing", user("", "ops"), "GET", "/api/deployments/42", office, time.Time{}, false, ""},
		// Viewer and Auditor are read-only.
		{"viewer cannot write", user("Viewer", "platform"), "POST", "/api/teams/platform/services/api", office, time.Time{}, false, "prod-viewers-auditors-read-only"},
		{"auditor cannot delete", user("Auditor", "platform"), "DELETE", "/api/deployments/42", office, time.Time{}, false, "prod-viewers-auditors-read-only"},
		// Developers: own team, write only, with recent MFA.
		{"developer writes own team's resource with recent MFA", user("Developer", "platform"), "PUT", "/api/teams/platform/services/api", office, time.Time{}, true, "prod-developer-write-own-team"},
		{"developer cannot write another team's resource", user("Developer", "platform"), "PUT", "/api/teams/payments/services/api", office, time.Time{}, false, ""},
		{"developer cannot write a resource of unknown team", user("Developer", "platform"), "PUT", "/api/services/api", office, time.Time{}, false, ""},
		{"developer cannot delete even own team's resource", user("Developer", "platform"), "DELETE", "/api/teams/platform/services/api", office, time.Time{}, false, ""},
		{"developer write with MFA 14m old is allowed", user("Developer", "platform", mfaAge(14*time.Minute)), "PATCH", "/api/teams/platform/services/api", office, time.Time{}, true, "prod-developer-write-own-team"},
		{"developer write with MFA 16m old is denied", user("Developer", "platform", mfaAge(16*time.Minute)), "PATCH", "/api/teams/platform/services/api", office, time.Time{}, false, "prod-changes-require-recent-mfa"},
		{"developer write without MFA is denied", user("Developer", "platform", noMFA), "PATCH", "/api/teams/platform/services/api", office, time.Time{}, false, "prod-changes-require-recent-mfa"},
		{"developer write without auth_time is denied", user("Developer", "platform", func(p *principal.Principal) { p.AuthTime = time.Time{} }), "PATCH", "/api/teams/platform/services/api", office, time.Time{}, false, "prod-changes-require-recent-mfa"},
		{"developer cannot deploy", user("Developer", "platform"), "POST", "/api/deployments/42/deploy", office, time.Time{}, false, ""},
		// Operators: deployments.
		{"operator deploys in the working week", user("Operator", "ops"), "POST", "/api/deployments/42/deploy", office, time.Time{}, true, "prod-operator-manage-deployments"},
		{"operator cannot deploy on Saturday", user("Operator", "ops", authAt(saturday.Add(-time.Minute))), "POST", "/api/deployments/42/deploy", office, saturday, false, "prod-deploy-window"},
		{"operator cannot deploy at 22:00", user("Operator", "ops", authAt(night.Add(-time.Minute))), "POST", "/api/deployments/42/deploy", office, night, false, "prod-deploy-window"},
		{"operator rolls back at 22:00", user("Operator", "ops", authAt(night.Add(-time.Minute))), "POST", "/api/deployments/42/rollback", office, night, true, "prod-operator-manage-deployments"},
		{"operator deletes a deployment", user("Operator", "ops"), "DELETE", "/api/deployments/42", office, time.Time{}, true, "prod-operator-manage-deployments"},
		{"operator cannot delete a secret", user("Operator", "ops"), "DELETE", "/api/secrets/db", office, time.Time{}, false, ""},
		{"operator deploy without MFA is denied", user("Operator", "ops", noMFA), "POST", "/api/deployments/42/deploy", office, time.Time{}, false, "prod-changes-require-recent-mfa"},
		{"on-call developer restarts a deployment", user("Developer", "platform", groups("oncall")), "POST", "/api/deployments/42/restart", office, time.Time{}, true, "prod-oncall-restart"},
		{"developer outside on-call cannot restart", user("Developer", "platform", groups("backend")), "POST", "/api/deployments/42/restart", office, time.Time{}, false, ""},
		// Networks.
		{"read from the internet is denied", user("Viewer", "ops"), "GET", "/api/deployments/42", internet, time.Time{}, false, "prod-allowed-networks"},
		{"read from 192.168/16 is allowed", user("Viewer", "ops"), "GET", "/api/deployments/42", netip.MustParseAddr("192.168.7.1"), time.Time{}, true, "prod-read"},
		{"read from IPv6 loopback is allowed", user("Viewer", "ops"), "GET", "/api/deployments/42", netip.MustParseAddr("::1"), time.Time{}, true, "prod-read"},
		{"read from IPv4-mapped IPv6 office address is allowed", user("Viewer", "ops"), "GET", "/api/deployments/42", netip.MustParseAddr("::ffff:10.1.2.3"), time.Time{}, true, "prod-read"},
		{"admin from the internet is denied", user("Admin", "sec"), "GET", "/api/deployments/42", internet, time.Time{}, false, "prod-allowed-networks"},
		// Break-glass.
		{"break-glass deletes from the internet with an old MFA", user("Developer", "platform", breakGlass, mfaAge(3*time.Hour)), "DELETE", "/api/secrets/db", internet, time.Time{}, true, "prod-break-glass"},
		{"break-glass deploys on Saturday", user("Operator", "ops", breakGlass, authAt(saturday.Add(-time.Minute))), "POST", "/api/deployments/42/deploy", office, saturday, true, ""},
		{"break-glass without MFA is denied", user("Developer", "platform", breakGlass, noMFA), "DELETE", "/api/secrets/db", office, time.Time{}, false, "prod-changes-require-recent-mfa"},
		{"break-glass cannot administer users", user("Developer", "platform", breakGlass), "POST", "/api/admin/users", office, time.Time{}, false, "admin-actions-admins-only"},
		{"break-glass cannot change the audit trail", user("Operator", "ops", breakGlass), "DELETE", "/api/audit/1", office, time.Time{}, false, "audit-trail-immutable"},
		// Admins.
		{"admin deletes with recent MFA", user("Admin", "sec"), "DELETE", "/api/secrets/db", office, time.Time{}, true, "admin-all"},
		{"admin delete with stale MFA is denied", user("Admin", "sec", mfaAge(20*time.Minute)), "DELETE", "/api/secrets/db", office, time.Time{}, false, "prod-changes-require-recent-mfa"},
		{"admin manages users with MFA 4m old", user("Admin", "sec", mfaAge(4*time.Minute)), "POST", "/api/admin/users", office, time.Time{}, true, "admin-all"},
		{"admin managing users with MFA 6m old is denied", user("Admin", "sec", mfaAge(6*time.Minute)), "POST", "/api/admin/users", office, time.Time{}, false, "admin-actions-require-fresh-mfa"},
		{"developer cannot manage users", user("Developer", "platform"), "POST", "/api/admin/users/7", office, time.Time{}, false, "admin-actions-admins-only"},
		{"admin cannot delete audit records", user("Admin", "sec"), "DELETE", "/api/audit/1", office, time.Time{}, false, "audit-trail-immutable"},
		// Audit trail.
		{"auditor reads the audit trail", user("Auditor", "audit"), "GET", "/api/audit/1", office, time.Time{}, true, "audit-auditors-read"},
		{"developer cannot read the audit trail", user("Developer", "platform"), "GET", "/api/audit/1", office, time.Time{}, false, "audit-read-restricted"},
		{"admin reads the audit trail", user("Admin", "sec"), "GET", "/api/audit", office, time.Time{}, true, "admin-all"},
		// Requests the gateway cannot map.
		{"unknown method has no action and is denied", user("Admin", "sec"), "PROPFIND", "/api/deployments/42", office, time.Time{}, false, ""},
		{"no principal is denied", nil, "GET", "/api/deployments/42", office, time.Time{}, false, ""},
		{"dot segments are denied, not resolved", user("Admin", "sec"), "GET", "/api/teams/platform/../payments/services/api", office, time.Time{}, false, ""},
		{"empty segments are denied", user("Admin", "sec"), "GET", "/api//deployments/1", office, time.Time{}, false, ""},
		{"a trailing slash is fine", user("Viewer", "ops"), "GET", "/api/deployments/", office, time.Time{}, true, "prod-read"},
	})
}

func TestDevelopmentPolicies(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, "development")
	runCases(t, a, []authzCase{
		{"developer deletes another team's resource without MFA from anywhere", user("Developer", "platform", noMFA), "DELETE", "/api/teams/payments/services/api", internet, time.Time{}, true, "dev-builders-change-anything"},
		{"developer deploys on Saturday night", user("Developer", "platform"), "POST", "/api/deployments/1/deploy", office, time.Date(2026, 3, 14, 23, 0, 0, 0, time.UTC), true, "dev-builders-change-anything"},
		{"developer writes an unmatched path", user("Developer", "platform"), "POST", "/internal/cache/flush", office, time.Time{}, true, "dev-builders-change-anything"},
		{"operator writes", user("Operator", "ops"), "PUT", "/api/services/api", office, time.Time{}, true, "dev-builders-change-anything"},
		{"viewer reads", user("Viewer", "ops"), "GET", "/api/services/api", internet, time.Time{}, true, "dev-read"},
		{"viewer cannot write", user("Viewer", "ops"), "PUT", "/api/services/api", office, time.Time{}, false, ""},
		{"auditor cannot delete", user("Auditor", "audit"), "DELETE", "/api/services/api", office, time.Time{}, false, ""},
		{"developer cannot delete another team's secret", user("Developer", "platform"), "DELETE", "/api/teams/payments/secrets/db", office, time.Time{}, false, "dev-secrets-deleted-by-owner-only"},
		{"developer deletes own team's secret", user("Developer", "platform"), "DELETE", "/api/teams/platform/secrets/db", office, time.Time{}, true, "dev-builders-change-anything"},
		{"developer cannot manage users in development either", user("Developer", "platform"), "PUT", "/api/admin/users/7", office, time.Time{}, false, "admin-actions-admins-only"},
		{"admin manages users with fresh MFA", user("Admin", "sec"), "PUT", "/api/admin/users/7", office, time.Time{}, true, "admin-all"},
	})
}

func TestUnknownEnvironmentOnlyAdmins(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, "staging")
	runCases(t, a, []authzCase{
		{"no environment file: developer read is denied by default", user("Developer", "platform"), "GET", "/api/services/api", office, time.Time{}, false, ""},
		{"no environment file: admin still reads", user("Admin", "sec"), "GET", "/api/services/api", office, time.Time{}, true, "admin-all"},
	})
}

func TestDecisionDescribesTheRequest(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, "production")
	d := a.Authorize(authz.Request{Principal: user("Operator", "ops"), Method: "POST", Path: "/api/deployments/42/deploy", SourceIP: office})
	if d.Action != "deploy" || d.Resource != `Portcullis::Resource::"/api/deployments/42/deploy"` {
		t.Fatalf("action %s, resource %s", d.Action, d.Resource)
	}
	if !d.Allowed || d.Outcome() != "allow" || d.PolicyList() != "prod-operator-manage-deployments" {
		t.Fatalf("decision = %+v", d)
	}
	// Time comes from the injected clock when the request has none: the
	// manual clock says Wednesday 10:00, inside the deploy window.
	d2 := a.Authorize(authz.Request{Principal: user("Operator", "ops"), Method: "POST", Path: "/api/deployments/42/deploy", SourceIP: office})
	if d.ID == d2.ID {
		t.Fatal("two decisions share an id")
	}
}

func TestRequestsThatCannotBeMappedAreDeniedWithAReason(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, "production")
	cases := []struct {
		name    string
		req     authz.Request
		wantErr string
	}{
		{"no principal", authz.Request{Method: "GET", Path: "/api/x"}, "no authenticated principal"},
		{"method without action", authz.Request{Principal: user("Admin", "sec"), Method: "TRACE", Path: "/api/x"}, `no action for method "TRACE"`},
		{"dot segment", authz.Request{Principal: user("Admin", "sec"), Method: "GET", Path: "/api/a/../b"}, "not canonical"},
		{"encoded slash", authz.Request{Principal: user("Admin", "sec"), Method: "GET", Path: "/api/a/b", EscapedPath: "/api/a%2Fb"}, "not canonical"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := a.Authorize(c.req)
			if d.Allowed || len(d.Errors) != 1 || !strings.Contains(d.Errors[0], c.wantErr) {
				t.Fatalf("decision = %+v, want a deny with error %q", d, c.wantErr)
			}
		})
	}
}
