package authz_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/authz"
)

func repoSchema(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoPolicies, "portcullis.cedarschema"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRepositoryPoliciesValidate(t *testing.T) {
	t.Parallel()
	set, err := authz.Load(authz.Source{Dir: repoPolicies})
	if err != nil {
		t.Fatalf("the shipped policies do not load: %v", err)
	}
	if set.Len() < 15 {
		t.Fatalf("only %d policies loaded", set.Len())
	}
	for _, id := range set.IDs() {
		if strings.Contains(id, ".cedar:") {
			t.Errorf("policy at %s has no @id annotation", id)
		}
	}
}

func TestInvalidPoliciesAreRejectedWithFileAndLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		policy string
		want   []string // substrings of the error
	}{
		{"unknown attribute names file, line and a suggestion",
			"// team check\n\n@id(\"typo\")\npermit (principal, action, resource)\nwhen { principal.tem == \"x\" };\n",
			[]string{"policies/bad.cedar:3:", "attribute `tem` on entity type `Portcullis::User` not found", `did you mean "team"?`}},
		{"unknown entity type is rejected",
			"@id(\"ok\")\npermit (principal, action, resource);\n@id(\"foo\")\npermit (principal, action, resource is Portcullis::Foo);\n",
			[]string{"policies/bad.cedar:3:", "unrecognized entity type `Portcullis::Foo`"}},
		{"misspelled role is rejected with the valid roles",
			"@id(\"role\")\npermit (principal in Portcullis::Role::\"Admn\", action, resource);\n",
			[]string{"policies/bad.cedar:1:", `Portcullis::Role "Admn" is not one of Admin, Developer, Operator, Viewer, Auditor`, `did you mean "Admin"?`}},
		{"misspelled role inside a condition is rejected",
			"@id(\"role\")\npermit (principal, action, resource)\nwhen { principal in Portcullis::Role::\"Viewr\" };\n",
			[]string{"policies/bad.cedar:1:", `"Viewr" is not one of`}},
		{"unknown context attribute is rejected",
			"@id(\"ctx\")\npermit (principal, action, resource)\nwhen { context.mfa_age <= 900 };\n",
			[]string{"policies/bad.cedar:1:", "attribute `mfa_age` in context not found", `did you mean "mfa_age_seconds"?`}},
		{"wrong type is rejected",
			"@id(\"type\")\npermit (principal, action, resource)\nwhen { context.hour == \"10\" };\n",
			[]string{"policies/bad.cedar:1:"}},
		{"unknown action is rejected",
			"@id(\"act\")\npermit (principal, action == Portcullis::Action::\"launch\", resource);\n",
			[]string{"policies/bad.cedar:1:", "launch"}},
		{"syntax error names line and column",
			"@id(\"syntax\")\npermit (principal, action, resource)\nwhen { context.hour + };\n",
			[]string{"policies/bad.cedar:3:"}},
		{"duplicate ids are rejected",
			"@id(\"same\")\npermit (principal, action, resource);\n@id(\"same\")\nforbid (principal, action, resource);\n",
			[]string{"policies/bad.cedar:3:", `policy id "same" is already used at policies/bad.cedar:1`}},
		{"empty file is rejected",
			"// nothing here\n",
			[]string{"policies/bad.cedar: no policies"}},
		{"unsafe tag access is rejected",
			"@id(\"tag\")\npermit (principal, action, resource is Portcullis::Resource)\nwhen { resource.getTag(\"region\") == \"eu\" };\n",
			[]string{"policies/bad.cedar:1:", "tag"}},
	}
	schema := repoSchema(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := authz.LoadBytes("policies/portcullis.cedarschema", schema, map[string][]byte{"policies/bad.cedar": []byte(c.policy)})
			if err == nil {
				t.Fatal("invalid policy was accepted")
			}
			if !errors.Is(err, authz.ErrInvalidPolicies) {
				t.Errorf("error does not wrap ErrInvalidPolicies: %v", err)
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestInvalidSchemasAreRejected(t *testing.T) {
	t.Parallel()
	schema := string(repoSchema(t))
	cases := []struct {
		name   string
		schema string
		want   []string
	}{
		{"syntax error names line and column", "namespace Portcullis {\n  entity User {\n}\n", []string{"policies/s.cedarschema:4:1: expected ';'"}},
		{"undefined type names its line", strings.Replace(schema, "    path: String,  // the cleaned request path\n  };", "    path: Strin,\n  };", 1),
			[]string{"policies/s.cedarschema:", `undefined type "Strin"`}},
		{"missing gateway entity type", strings.NewReplacer("entity Group;", "", "[Role, Team, Group]", "[Role, Team]").Replace(schema),
			[]string{"the gateway needs entity type Portcullis::Group"}},
		{"context the gateway does not send", strings.Replace(schema, "method: String,", "method: String,\n    tenant: String,", 1),
			[]string{"policies/s.cedarschema:64: the context of action(s) delete, deploy,", `the schema requires attribute "tenant", which the gateway does not send`}},
		{"user attribute the gateway does not set", strings.Replace(schema, "client_id: String,", "client_id: String,\n    email: String,", 1),
			[]string{"policies/s.cedarschema:", "Portcullis::User as the gateway builds it does not conform"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := authz.LoadBytes("policies/s.cedarschema", []byte(c.schema), map[string][]byte{"p.cedar": []byte("@id(\"a\")\npermit (principal, action, resource);\n")})
			if err == nil {
				t.Fatal("invalid schema was accepted")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestSourceResolution(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t)
	cases := []struct {
		name    string
		src     authz.Source
		wantLen int
		wantErr string
	}{
		{"directory loads schema and every .cedar file", authz.Source{Dir: dir}, 18, ""},
		{"files select a subset of the directory", authz.Source{Dir: dir, Files: []string{"admin.cedar"}}, 6, ""},
		{"explicit schema and files without a directory", authz.Source{Schema: filepath.Join(dir, "portcullis.cedarschema"), Files: []string{filepath.Join(dir, "admin.cedar")}}, 6, ""},
		{"missing directory", authz.Source{Dir: filepath.Join(dir, "nope")}, 0, "reading policy directory"},
		{"missing file", authz.Source{Dir: dir, Files: []string{"nope.cedar"}}, 0, "nope.cedar"},
		{"no schema", authz.Source{Files: []string{"a.cedar"}}, 0, "no schema"},
		{"no files", authz.Source{Schema: "s.cedarschema"}, 0, "no policy files"},
		{"directory without schema", authz.Source{Dir: t.TempDir()}, 0, "no *.cedarschema file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			set, err := authz.Load(c.src)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set.Len() != c.wantLen {
				t.Fatalf("loaded %d policies, want %d", set.Len(), c.wantLen)
			}
		})
	}
}

func TestActionRuleForUndeclaredActionRefusesToStart(t *testing.T) {
	t.Parallel()
	rule, err := authz.ParseActionRule("POST", "/api/launch", "launch")
	if err != nil {
		t.Fatal(err)
	}
	_, err = authz.New(authz.Config{Policies: authz.Source{Dir: repoPolicies}, ActionRules: []authz.ActionRule{rule}, ReloadInterval: -1})
	if err == nil || !strings.Contains(err.Error(), `the schema declares no action "launch"`) {
		t.Fatalf("error = %v", err)
	}
}
