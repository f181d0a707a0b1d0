package cedarauthz_test

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/portcullis/portcullis/caddymodules/cedarauthz"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"defaults", "cedar_authz", ""},
		{"full block", `cedar_authz {
			policies ./policies
			schema ./policies/portcullis.cedarschema
			files production.cedar admin.cedar
			environment production
			action POST /api/deploy/* deploy
			action POST,PUT /api/admin/users* manage_users
			resource /api/{kind}/{id}
			resource /v1/deploy/{id} deployments
			shadow ./policies-candidate
			reload_interval 500ms
			mfa_methods otp webauthn
			time_zone Europe/Helsinki
		}`, ""},
		{"shadow files", "cedar_authz {\n shadow a.cedar b.cedar\n}", ""},
		{"reload off", "cedar_authz {\n reload_interval off\n}", ""},
		{"inline argument", "cedar_authz ./policies", "unexpected argument"},
		{"unknown option", "cedar_authz {\n polices ./p\n}", `unrecognized option "polices"`},
		{"policies without a directory", "cedar_authz {\n policies\n}", "policies takes exactly one directory"},
		{"two schemas", "cedar_authz {\n schema a b\n}", "schema takes exactly one file"},
		{"empty files", "cedar_authz {\n files\n}", "at least one policy file"},
		{"action with two arguments", "cedar_authz {\n action POST deploy\n}", "action takes <methods|*> <path> <action>"},
		{"action with lower-case method", "cedar_authz {\n action post /x deploy\n}", "upper-case HTTP method"},
		{"action with relative path", "cedar_authz {\n action POST x deploy\n}", "must start with /"},
		{"action with a bad name", "cedar_authz {\n action POST /x de-ploy\n}", "not a valid action name"},
		{"resource without template", "cedar_authz {\n resource\n}", "resource takes <template> [kind]"},
		{"resource with a bad template", "cedar_authz {\n resource /api/{kind\n}", "must be a literal or a whole {variable}"},
		{"resource with kind twice", "cedar_authz {\n resource /api/{kind} deployments\n}", "use one"},
		{"shadow without argument", "cedar_authz {\n shadow\n}", "shadow takes a directory"},
		{"shadow mixing a directory and files", "cedar_authz {\n shadow ./dir a.cedar\n}", `"./dir" is not a .cedar file`},
		{"reload_interval not a duration", "cedar_authz {\n reload_interval soon\n}", "not a positive duration"},
		{"negative reload_interval", "cedar_authz {\n reload_interval -1s\n}", "not a positive duration"},
		{"empty mfa_methods", "cedar_authz {\n mfa_methods\n}", "at least one amr value"},
		{"unknown time zone", "cedar_authz {\n time_zone Mars/Olympus\n}", `time_zone "Mars/Olympus"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var h cedarauthz.CedarAuthz
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.input))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, c.wantErr)
			}
			if !strings.Contains(err.Error(), "Testfile:") {
				t.Fatalf("error does not name the Caddyfile line: %v", err)
			}
		})
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("cedar_authz {\n policies ./policies\n environment production\n action POST /api/deploy/* deploy\n resource /api/{kind}/{id}\n}")
	f.Add("cedar_authz {\n shadow a.cedar b.cedar\n reload_interval off\n}")
	f.Add("cedar_authz {\n resource /v1/{region}/{kind}/{id...}\n resource /v1/x/{id} k\n}")
	f.Add("cedar_authz {\n time_zone UTC\n mfa_methods otp\n files a.cedar\n}")
	f.Fuzz(func(t *testing.T, input string) {
		var h cedarauthz.CedarAuthz
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			return
		}
		// Whatever parsed is well-formed: rules and templates are valid.
		for _, r := range h.Actions {
			if r.Path == "" || r.Action == "" {
				t.Fatalf("accepted an incomplete action rule: %+v", r)
			}
		}
		for _, r := range h.Resources {
			if !strings.HasPrefix(r.Template, "/") {
				t.Fatalf("accepted template %q", r.Template)
			}
		}
		if h.ReloadInterval < 0 && h.ReloadInterval != -1 {
			t.Fatalf("accepted a negative reload_interval %v", h.ReloadInterval)
		}
	})
}
