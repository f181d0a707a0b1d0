package authz_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/authz"
)

func mustTemplate(t testing.TB, pattern, kind string) authz.Template {
	t.Helper()
	tpl, err := authz.ParseTemplate(pattern, kind)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestResourceMapping(t *testing.T) {
	t.Parallel()
	defaults := authz.NewResourceMapper()
	custom := authz.NewResourceMapper(
		mustTemplate(t, "/v1/deploy/{id}", "deployments"),
		mustTemplate(t, "/v1/{region}/{kind}/{id...}", ""),
	)
	cases := []struct {
		name string
		m    *authz.ResourceMapper
		path string
		want authz.Resource
	}{
		{"team resource takes kind, team and id", defaults, "/api/teams/platform/services/api",
			authz.Resource{Matched: true, Template: "/api/teams/{team}/{kind}/{id}", Kind: "services", ID: "api", Team: "platform", Path: "/api/teams/platform/services/api",
				Vars: []authz.Var{{"team", "platform"}, {"kind", "services"}, {"id", "api"}}}},
		{"sub-path of a resource keeps its id", defaults, "/api/deployments/42/deploy",
			authz.Resource{Matched: true, Template: "/api/{kind}/{id}/{sub...}", Kind: "deployments", ID: "42", Path: "/api/deployments/42/deploy",
				Vars: []authz.Var{{"kind", "deployments"}, {"id", "42"}, {"sub", "deploy"}}}},
		{"collection has no id", defaults, "/api/deployments/",
			authz.Resource{Matched: true, Template: "/api/{kind}", Kind: "deployments", Path: "/api/deployments", Vars: []authz.Var{{"kind", "deployments"}}}},
		{"unmatched path is the catch-all", defaults, "/healthz", authz.Resource{Path: "/healthz"}},
		{"root is the catch-all", defaults, "", authz.Resource{Path: "/"}},
		{"dot segments are resolved first", defaults, "/api/teams/a/../../secrets/x",
			authz.Resource{Matched: true, Template: "/api/{kind}/{id}", Kind: "secrets", ID: "x", Path: "/api/secrets/x", Vars: []authz.Var{{"kind", "secrets"}, {"id", "x"}}}},
		{"fixed kind of a template without {kind}", custom, "/v1/deploy/7",
			authz.Resource{Matched: true, Template: "/v1/deploy/{id}", Kind: "deployments", ID: "7", Path: "/v1/deploy/7", Vars: []authz.Var{{"id", "7"}}}},
		{"rest variable takes several segments", custom, "/v1/eu/files/a/b/c",
			authz.Resource{Matched: true, Template: "/v1/{region}/{kind}/{id...}", Kind: "files", ID: "a/b/c", Path: "/v1/eu/files/a/b/c",
				Vars: []authz.Var{{"region", "eu"}, {"kind", "files"}, {"id", "a/b/c"}}}},
		{"rest variable needs at least one segment", custom, "/v1/eu/files", authz.Resource{Path: "/v1/eu/files"}},
		{"first match wins over later templates", defaults, "/api/teams/platform/services",
			authz.Resource{Matched: true, Template: "/api/teams/{team}/{kind}", Kind: "services", Team: "platform", Path: "/api/teams/platform/services",
				Vars: []authz.Var{{"team", "platform"}, {"kind", "services"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := c.m.Map(c.path)
			if got.Matched != c.want.Matched || got.Template != c.want.Template || got.Kind != c.want.Kind || got.ID != c.want.ID ||
				got.Team != c.want.Team || got.Path != c.want.Path || !slices.Equal(got.Vars, c.want.Vars) {
				t.Fatalf("Map(%q) =\n%+v\nwant\n%+v", c.path, got, c.want)
			}
		})
	}
}

func TestParseTemplateRejectsMalformedPatterns(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, pattern, kind, want string }{
		{"relative pattern", "api/{kind}", "", "must start with /"},
		{"empty segment", "/api//{kind}", "", "empty segment"},
		{"dot segment", "/api/../{kind}", "", `".." segment`},
		{"partial variable", "/api/x{kind}", "", "must be a literal or a whole {variable}"},
		{"bad variable name", "/api/{1x}", "", "not a valid variable name"},
		{"empty variable name", "/api/{}", "", "not a valid variable name"},
		{"rest not last", "/api/{p...}/x", "", "must be the last segment"},
		{"duplicate variable", "/api/{id}/{id}", "", "appears twice"},
		{"kind twice", "/api/{kind}", "deployments", "use one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := authz.ParseTemplate(c.pattern, c.kind)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want %q", err, c.want)
			}
		})
	}
}

func TestDefaultTemplatesParse(t *testing.T) {
	t.Parallel()
	for _, p := range authz.DefaultTemplates {
		if _, err := authz.ParseTemplate(p, ""); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestActionRules(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, "production")
	cases := []struct{ name, method, path, want string }{
		{"GET is read", "GET", "/api/x", "read"},
		{"HEAD is read", "HEAD", "/api/x", "read"},
		{"OPTIONS is read", "OPTIONS", "/api/x", "read"},
		{"POST is write", "POST", "/api/x", "write"},
		{"PUT is write", "PUT", "/api/x", "write"},
		{"PATCH is write", "PATCH", "/api/x", "write"},
		{"DELETE is delete", "DELETE", "/api/x", "delete"},
		{"a one-segment wildcard rule maps deploy", "POST", "/api/deployments/9/deploy", "deploy"},
		{"a rule applies only to its methods", "GET", "/api/deployments/9/deploy", "read"},
		{"a prefix rule covers the prefix itself", "POST", "/api/admin/users", "manage_users"},
		{"a prefix rule covers sub-paths", "DELETE", "/api/admin/users/7", "manage_users"},
		{"an any-method rule", "GET", "/api/admin/keys/k1", "manage_keys"},
		{"unknown method has none", "PROPFIND", "/api/x", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := a.Authorize(authz.Request{Principal: user("Admin", "sec"), Method: c.method, Path: c.path, SourceIP: office})
			if d.Action != c.want {
				t.Fatalf("action = %q, want %q", d.Action, c.want)
			}
		})
	}
}

func TestParseActionRuleRejectsMalformedRules(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, methods, path, action, want string }{
		{"lower-case method", "post", "/x", "deploy", "upper-case"},
		{"empty method in list", "POST,", "/x", "deploy", "upper-case"},
		{"relative path", "POST", "x/*", "deploy", "must start with /"},
		{"bad glob", "POST", "/x/[", "deploy", "syntax error"},
		{"bad action name", "POST", "/x", "de-ploy", "not a valid action name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := authz.ParseActionRule(c.methods, c.path, c.action)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want %q", err, c.want)
			}
		})
	}
}

func FuzzResourceTemplate(f *testing.F) {
	for _, p := range authz.DefaultTemplates {
		f.Add(p, "/api/teams/platform/services/api/x")
	}
	f.Add("/v1/{region}/{kind}/{id...}", "/v1/eu/files/a/b")
	f.Add("/", "/")
	f.Add("/a/{b}", "/a/../a/%2F")
	f.Fuzz(func(t *testing.T, pattern, reqPath string) {
		tpl, err := authz.ParseTemplate(pattern, "")
		if err != nil {
			return
		}
		r := authz.NewResourceMapper(tpl).Map(reqPath)
		if r.Path != authz.CleanPath(reqPath) || !strings.HasPrefix(r.Path, "/") {
			t.Fatalf("resource path %q is not the cleaned request path", r.Path)
		}
		if !r.Matched {
			return
		}
		// Every captured value is a part of the path, and only a rest
		// variable may span segments.
		for _, v := range r.Vars {
			if v.Value == "" || !strings.Contains(r.Path, v.Value) {
				t.Fatalf("variable %s=%q is not part of %q", v.Name, v.Value, r.Path)
			}
			if strings.Contains(v.Value, "/") && !strings.Contains(pattern, "{"+v.Name+"...}") {
				t.Fatalf("variable %s=%q spans segments", v.Name, v.Value)
			}
		}
	})
}
