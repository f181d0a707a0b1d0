package authz_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portcullis/portcullis/internal/authz"
)

type count struct{ n atomic.Int64 }

func (c *count) Inc() { c.n.Add(1) }

const extraPermit = `
@id("prod-viewer-writes-notes")
permit (principal in Portcullis::Role::"Viewer", action == Portcullis::Action::"write", resource in Portcullis::Kind::"notes");
`

func TestHotReload(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t)
	core, logs := observer.New(zapcore.InfoLevel)
	failures := &count{}
	a := newAuthorizer(t, "development", func(c *authz.Config) {
		c.Policies = authz.Source{Dir: dir}
		c.Logger = zap.New(core)
		c.ReloadFailures = failures
	})
	viewerWritesNotes := authz.Request{Principal: user("Viewer", "ops"), Method: "POST", Path: "/api/notes/1", SourceIP: office}
	if a.Authorize(viewerWritesNotes).Allowed {
		t.Fatal("viewer may write before the policy exists")
	}

	t.Run("unchanged files are not reloaded", func(t *testing.T) {
		before := a.Policies()
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
		if a.Policies() != before {
			t.Fatal("policy set replaced although nothing changed")
		}
	})

	t.Run("a valid new file takes effect", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "notes.cedar"), extraPermit)
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
		d := a.Authorize(viewerWritesNotes)
		if !d.Allowed || d.PolicyList() != "prod-viewer-writes-notes" {
			t.Fatalf("after reload: %+v", d)
		}
		if logs.FilterMessage("cedar policies reloaded").Len() != 1 {
			t.Fatalf("reload not logged: %v", logs.All())
		}
	})

	t.Run("an invalid file is rejected and the old set stays in force", func(t *testing.T) {
		good := a.Policies()
		writeFile(t, filepath.Join(dir, "development.cedar"), "@id(\"broken\")\npermit (principal, action, resource)\nwhen { principal.tem == \"x\" };\n")
		err := a.Reload()
		if !errors.Is(err, authz.ErrReloadRejected) || !strings.Contains(err.Error(), "development.cedar:1:") {
			t.Fatalf("reload error = %v", err)
		}
		if a.Policies() != good {
			t.Fatal("invalid set replaced the valid one")
		}
		if !a.Authorize(viewerWritesNotes).Allowed {
			t.Fatal("old policies no longer in force")
		}
		rejected := logs.FilterMessage("cedar policy reload rejected; the previous policies stay in force")
		if rejected.Len() != 1 || rejected.All()[0].Level != zapcore.ErrorLevel {
			t.Fatalf("rejection not logged as one error: %v", rejected.All())
		}
		if !strings.Contains(rejected.All()[0].ContextMap()["error"].(string), "development.cedar:1:") {
			t.Fatalf("logged error does not name file:line: %v", rejected.All()[0].ContextMap())
		}
		// The same broken content is not logged again on every poll.
		_ = a.Reload()
		if logs.FilterMessage("cedar policy reload rejected; the previous policies stay in force").Len() != 1 {
			t.Fatal("the same rejection was logged twice")
		}
		if failures.n.Load() != 1 {
			t.Fatalf("reload failures counted %d, want 1", failures.n.Load())
		}
	})

	t.Run("a deleted file is rejected too", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, "portcullis.cedarschema")); err != nil {
			t.Fatal(err)
		}
		if err := a.Reload(); !errors.Is(err, authz.ErrReloadRejected) {
			t.Fatalf("reload error = %v", err)
		}
		if !a.Authorize(viewerWritesNotes).Allowed {
			t.Fatal("old policies no longer in force")
		}
	})
}

func TestShadowModeReportsDisagreementsWithoutEnforcing(t *testing.T) {
	t.Parallel()
	candidate := t.TempDir()
	// The candidate drops Operators' right to delete deployments.
	prod, err := os.ReadFile(filepath.Join(repoPolicies, "production.cedar"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(candidate, "production.cedar"), strings.Replace(string(prod),
		`    Portcullis::Action::"delete",
    Portcullis::Action::"operate"`, `    Portcullis::Action::"operate"`, 1))
	admin, _ := os.ReadFile(filepath.Join(repoPolicies, "admin.cedar"))
	writeFile(t, filepath.Join(candidate, "admin.cedar"), string(admin))

	core, logs := observer.New(zapcore.InfoLevel)
	disagreements := &count{}
	a := newAuthorizer(t, "production", func(c *authz.Config) {
		c.Shadow = &authz.Source{Dir: candidate} // no schema: the enforced one is used
		c.Logger = zap.New(core)
		c.ShadowDisagreements = disagreements
	})

	agree := a.Authorize(authz.Request{Principal: user("Operator", "ops"), Method: "GET", Path: "/api/deployments/1", SourceIP: office})
	if !agree.Allowed || agree.Shadow == nil || !agree.Shadow.Allowed || agree.Shadow.Disagrees {
		t.Fatalf("read: %+v shadow %+v", agree, agree.Shadow)
	}
	d := a.Authorize(authz.Request{Principal: user("Operator", "ops"), Method: "DELETE", Path: "/api/deployments/1", SourceIP: office})
	if !d.Allowed {
		t.Fatalf("shadow set was enforced: %+v", d)
	}
	if d.Shadow == nil || d.Shadow.Allowed || !d.Shadow.Disagrees {
		t.Fatalf("shadow result = %+v", d.Shadow)
	}
	entries := logs.FilterMessage("cedar shadow policies disagree").All()
	if len(entries) != 1 {
		t.Fatalf("disagreement logged %d times", len(entries))
	}
	f := entries[0].ContextMap()
	if f["decision_id"] != d.ID || f["enforced"] != "allow" || f["shadow"] != "deny" ||
		f["action"] != "delete" || f["resource"] != `Portcullis::Resource::"/api/deployments/1"` {
		t.Fatalf("log fields = %v", f)
	}
	if disagreements.n.Load() != 1 {
		t.Fatalf("disagreements counted %d", disagreements.n.Load())
	}
}

func TestEvaluationErrorsDeny(t *testing.T) {
	t.Parallel()
	// Both policies pass validation; the second one overflows at run time
	// for a token without auth_time (mfa_age_seconds is then the largest
	// Long). Cedar alone would allow through the first permit; the gateway
	// denies because a failed policy might have been a forbid.
	set := map[string][]byte{"p.cedar": []byte(`
@id("everyone")
permit (principal, action, resource);

@id("overflows")
forbid (principal, action, resource)
when { context.mfa_age_seconds + 1 > 1000000 };
`)}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "portcullis.cedarschema"), string(repoSchema(t)))
	writeFile(t, filepath.Join(dir, "p.cedar"), string(set["p.cedar"]))
	a, err := authz.New(authz.Config{Policies: authz.Source{Dir: dir}, ReloadInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	p := user("Viewer", "ops")
	if d := a.Authorize(authz.Request{Principal: p, Method: "GET", Path: "/x", SourceIP: office, Time: wednesday10}); !d.Allowed {
		t.Fatalf("without the error the request is allowed: %+v", d)
	}
	noAuthTime := user("Viewer", "ops", authAt(time.Time{}))
	d := a.Authorize(authz.Request{Principal: noAuthTime, Method: "GET", Path: "/x", SourceIP: office, Time: wednesday10})
	if d.Allowed {
		t.Fatalf("evaluation error allowed the request: %+v", d)
	}
	if len(d.Errors) != 1 || !strings.Contains(d.Errors[0], "policy overflows ("+filepath.Join(dir, "p.cedar")+":5)") {
		t.Fatalf("errors = %v", d.Errors)
	}
	if d.PolicyList() != "overflows" {
		t.Fatalf("determining policies = %v, want the failed one", d.Policies)
	}
}

func TestReloadWhileAuthorizing(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t)
	a := newAuthorizer(t, "production", func(c *authz.Config) {
		c.Policies = authz.Source{Dir: dir}
		c.ReloadInterval = time.Millisecond
	})
	a.Start()
	defer a.Close(true)
	done := make(chan struct{})
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 2000 {
				d := a.Authorize(authz.Request{Principal: user("Viewer", "ops"), Method: "GET", Path: "/api/deployments/" + string(rune('a'+i%26)), SourceIP: office})
				if !d.Allowed {
					t.Errorf("viewer read denied during reloads: %+v", d)
					return
				}
			}
		}()
	}
	for i := range 20 {
		writeFile(t, filepath.Join(dir, "extra.cedar"), strings.Replace(extraPermit, "prod-viewer-writes-notes", "extra-"+string(rune('a'+i)), 1))
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	<-done
}
