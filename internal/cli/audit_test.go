package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// auditRoutes answers the audit endpoints of API.md with their wire shapes.
func (f *fakeSecretsd) auditRoutes(mux *http.ServeMux) {
	ev := `{"@timestamp":"2030-01-01T00:00:00Z","event":{"action":"auth.login","outcome":"success"},"user":{"id":"k1:abc"},"source":{"ip":"192.0.2.0"},"portcullis":{"request_id":"r-1"}}`
	mux.HandleFunc("GET /v1/audit/events", func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(w, r) {
			return
		}
		f.mu.Lock()
		f.lastQuery = r.URL.RawQuery
		f.mu.Unlock()
		next := "c2"
		if r.URL.Query().Get("cursor") == "c2" {
			next = ""
		}
		writeJSON(w, 200, map[string]any{"events": []map[string]any{
			{"writer": "secretsd-h", "class": "standard", "seq": 7, "time": "2030-01-01T00:00:00Z", "event": json.RawMessage(ev)},
		}, "next_cursor": next})
	})
	mux.HandleFunc("GET /v1/audit/export", func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(w, r) {
			return
		}
		if r.URL.Query().Get("format") != "jsonl" {
			apiError(w, 400, "invalid_request", "query parameter format: want one of json, jsonl, csv, hec or ecs")
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write([]byte(ev + "\n" + ev + "\n"))
	})
	mux.HandleFunc("GET /v1/audit/verify", func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(w, r) {
			return
		}
		f.mu.Lock()
		damaged := f.damaged
		f.mu.Unlock()
		chain := map[string]any{"writer": "gateway-h", "class": "standard", "intact": !damaged, "segments": 1, "records": 12, "checkpoints": 2, "last_seq": 12, "unsealed": 0}
		if damaged {
			chain["problem"] = map[string]any{"kind": "record hash mismatch", "seq": 5, "file": "00000001.jsonl", "line": 6, "error": "x"}
		}
		writeJSON(w, 200, map[string]any{"intact": !damaged, "chains": []any{chain}})
	})
	mux.HandleFunc("POST /v1/audit/hash", func(w http.ResponseWriter, r *http.Request) {
		if f.authorized(w, r) {
			writeJSON(w, 200, map[string]any{"field": "user.id", "pseudonyms": []string{"k1:abc", "k0:def"}})
		}
	})
}

func TestAuditQueryPrintsATableAndFollowsPages(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	code, out, errOut := runIn(t, "", append([]string{"audit", "query", "--user", "u1", "--action", "auth.login,auth.logout", "--from", "2030-01-01"}, g...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"TIME", "ACTION", "auth.login", "k1:abc", "192.0.2.0", "r-1", "secretsd-h", "7"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "--cursor c2") {
		t.Errorf("no hint of the next page: %q", errOut)
	}
	f.mu.Lock()
	q := f.lastQuery
	f.mu.Unlock()
	if !strings.Contains(q, "actor_user=u1") || !strings.Contains(q, "action=auth.login") || !strings.Contains(q, "action=auth.logout") || !strings.Contains(q, "from=2030-01-01T00%3A00%3A00Z") {
		t.Errorf("query sent: %s", q)
	}
	code, out, errOut = runIn(t, "", append([]string{"audit", "query", "--all", "-o", "json"}, g...)...)
	var res struct {
		Events []json.RawMessage `json:"events"`
		Next   string            `json:"next_cursor"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Events) != 2 || res.Next != "" {
		t.Fatalf("--all -o json: exit %d %s %s", code, out, errOut)
	}
	code, _, errOut = runIn(t, "", append([]string{"audit", "query", "--from", "last tuesday"}, g...)...)
	if code != 1 || !strings.Contains(errOut, "--from") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("a bad --from: exit %d %q", code, errOut)
	}
}

func TestAuditVerifyExitsNonZeroOnDamage(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	code, out, errOut := runIn(t, "", append([]string{"audit", "verify"}, g...)...)
	if code != 0 || !strings.Contains(out, "The audit trail is intact.") {
		t.Fatalf("intact: exit %d %s %s", code, out, errOut)
	}
	f.mu.Lock()
	f.damaged = true
	f.mu.Unlock()
	code, out, errOut = runIn(t, "", append([]string{"audit", "verify"}, g...)...)
	if code != 1 || !strings.Contains(out, "at seq 5") || strings.Contains(out, "intact.") {
		t.Fatalf("damaged: exit %d\n%s", code, out)
	}
	if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "gateway-h/standard: record hash mismatch at seq 5 (00000001.jsonl:6)") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestAuditExportAndHash(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	g := loginFake(t, f, "correct horse\n")
	file := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, errOut := runIn(t, "", append([]string{"audit", "export", "--format", "jsonl", "-f", file}, g...)...)
	if code != 0 {
		t.Fatalf("export: exit %d %s", code, errOut)
	}
	b, err := os.ReadFile(file)
	fi, _ := os.Stat(file)
	if err != nil || strings.Count(string(b), "\n") != 2 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %q %v", err, b, fi.Mode())
	}
	bad := filepath.Join(t.TempDir(), "bad.pdf")
	code, _, errOut = runIn(t, "", append([]string{"audit", "export", "--format", "pdf", "-f", bad}, g...)...)
	if code != 1 || !strings.Contains(errOut, "format") {
		t.Errorf("bad format: exit %d %q", code, errOut)
	}
	if entries, _ := os.ReadDir(filepath.Dir(bad)); len(entries) != 0 {
		t.Errorf("a failed export left files: %v", entries)
	}
	code, out, errOut := runIn(t, "", append([]string{"audit", "hash", "--field", "user.id", "u1"}, g...)...)
	if code != 0 || out != "k1:abc\nk0:def\n" {
		t.Errorf("hash: exit %d %q %q", code, out, errOut)
	}
}
