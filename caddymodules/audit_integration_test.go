package caddymodules_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/devtoken"
)

// trailEvents reads every record of every chain under root. The chain
// format (audit/chain/doc.go) puts the event, as written, after "payload":.
func trailEvents(t *testing.T, root string) []event.Event {
	t.Helper()
	refs, err := trail.Chains(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	for _, ref := range refs {
		segs, err := filepath.Glob(filepath.Join(ref.Dir, "*.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, seg := range segs {
			f, err := os.Open(seg)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				_, payload, ok := bytes.Cut(sc.Bytes(), []byte(`"payload":`))
				if !ok {
					continue // a checkpoint
				}
				var e event.Event
				if err := json.Unmarshal(payload[:len(payload)-1], &e); err != nil {
					t.Fatalf("%s: %v", seg, err)
				}
				out = append(out, e)
			}
			f.Close()
		}
	}
	return out
}

// The real gateway writes one verifiable, pseudonymised event per request,
// allowed or denied, and records its policy load before serving.
func TestGatewayWritesAVerifiableAuditTrail(t *testing.T) {
	t.Parallel()
	g := startChain(t, "")
	developer := devtoken.Claims{Subject: "alice", Role: "Developer", Team: "platform", AMR: []string{"pwd", "otp"}}
	viewer := devtoken.Claims{Subject: "victor", Role: "Viewer", Team: "platform", AMR: []string{"pwd", "otp"}}
	type sent struct {
		status int
		reason string
	}
	want := map[string]sent{}
	send := func(method, path, token, id string, wantStatus int, reason string) {
		r := g.do(t, method, path, token, "X-Request-Id", id)
		if r.status != wantStatus {
			t.Fatalf("%s %s: status %d, want %d (%v)", method, path, r.status, wantStatus, r.body)
		}
		if got := r.header.Get("X-Request-Id"); got != id {
			t.Fatalf("response X-Request-Id %q, want %q", got, id)
		}
		want[id] = sent{wantStatus, reason}
	}
	send("GET", "/api/teams/platform/projects/1?token=do-not-log", g.token(t, developer), "allowed-1", 200, "")
	send("GET", "/api/projects", "", "no-token-1", 401, "unauthenticated")
	send("PUT", "/api/teams/platform/projects/1", g.token(t, viewer), "forbidden-1", 403, "forbidden")
	r := g.do(t, "GET", "/api/projects", "", "X-Request-Id", "bad id\"")
	if id := r.header.Get("X-Request-Id"); id == "" || id == `bad id"` {
		t.Fatalf("a hostile request id was echoed: %q", id)
	}

	// A graceful stop drains the queue and seals the chains.
	g.caddy.Stop()
	reports, err := trail.VerifyAll(g.auditDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) == 0 {
		t.Fatal("no chain written")
	}
	for _, rep := range reports {
		if rep.Err != nil {
			t.Fatalf("chain %s/%s: %v", rep.Writer, rep.Class, rep.Err)
		}
	}

	byID := map[string]event.Event{}
	reloads := 0
	for _, e := range trailEvents(t, g.auditDir) {
		switch e.Event.Action {
		case "gateway.request":
			byID[e.Portcullis.RequestID] = e
		case "policy.reload":
			if e.Event.Outcome == event.Success && e.Portcullis.Details["initial"] == "true" {
				reloads++
			}
		}
	}
	if reloads == 0 {
		t.Fatal("the initial policy load was not recorded")
	}
	for id, w := range want {
		e, ok := byID[id]
		if !ok {
			t.Fatalf("no event for request %s (have %d request events)", id, len(byID))
		}
		if e.HTTP.Response.StatusCode != w.status || e.Event.Reason != w.reason {
			t.Errorf("%s: status %d reason %q, want %d %q", id, e.HTTP.Response.StatusCode, e.Event.Reason, w.status, w.reason)
		}
		if e.URL.Path == "" || bytes.Contains([]byte(e.URL.Path), []byte("do-not-log")) {
			t.Errorf("%s: url.path %q", id, e.URL.Path)
		}
		if e.Source != nil && e.Source.IP != "" && e.Source.IP != "127.0.0.0" {
			t.Errorf("%s: source.ip %q is not truncated", id, e.Source.IP)
		}
	}
	allowed := byID["allowed-1"]
	if allowed.User == nil || allowed.User.ID == "" || allowed.User.ID == "alice" {
		t.Fatalf("user %+v: want a pseudonym", allowed.User)
	}
	if allowed.Portcullis.DecisionID == "" || allowed.HTTP.Response.Body.Bytes == 0 || allowed.Event.Duration <= 0 {
		t.Fatalf("allowed event %+v %+v", allowed.Portcullis, allowed.HTTP.Response)
	}
	if time.Since(allowed.Timestamp) > time.Hour {
		t.Fatalf("timestamp %v", allowed.Timestamp)
	}
}
