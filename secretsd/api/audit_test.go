package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/secretsd/client"
)

// auditEnv is a secretsd with an Admin, an Auditor and a Developer logged in.
type auditEnv struct {
	*harness
	admin, auditor, dev             client.Tokens
	adminUser, auditorUser, devUser client.User
}

func newAuditEnv(t *testing.T) *auditEnv {
	t.Helper()
	h := start(t, sqliteConfig(t))
	e := &auditEnv{harness: h}
	e.adminUser, e.admin = h.bootstrapAdmin()
	e.auditorUser = h.createUser(e.admin.AccessToken, "auditor", "Auditor")
	e.devUser = h.createUser(e.admin.AccessToken, "dev", "Developer")
	e.auditor = h.login("auditor", "auditor-password-1")
	e.dev = h.login("dev", "dev-password-1")
	return e
}

// events queries as the auditor and decodes each ECS event.
func (e *auditEnv) events(t *testing.T, f client.AuditFilter) []map[string]any {
	t.Helper()
	page, err := e.as(e.auditor.AccessToken).AuditEvents(e.ctx(), f, "", 1000)
	if err != nil {
		t.Fatalf("querying %+v: %v", f, err)
	}
	out := make([]map[string]any, len(page.Events))
	for i, r := range page.Events {
		if r.Writer == "" || r.Class == "" || r.Seq == 0 {
			t.Fatalf("record without its chain position: %+v", r)
		}
		if err := json.Unmarshal(r.Event, &out[i]); err != nil {
			t.Fatalf("event %d is not JSON: %v", i, err)
		}
	}
	return out
}

func field(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func TestAuditAccessIsForAuditorsAndAdmins(t *testing.T) {
	t.Parallel()
	e := newAuditEnv(t)
	apiToken, err := e.as(e.admin.AccessToken).CreateAPIToken(e.ctx(), client.NewAPIToken{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	hashBody := []byte(`{"field":"user.id","value":"x"}`)
	cases := []struct {
		name, method, path, token string
		body                      []byte
		status                    int
		code                      string
	}{
		{"a Developer may not query", "GET", "/v1/audit/events", e.dev.AccessToken, nil, 403, "forbidden"},
		{"a Developer may not export", "GET", "/v1/audit/export?format=jsonl", e.dev.AccessToken, nil, 403, "forbidden"},
		{"a Developer may not verify", "GET", "/v1/audit/verify", e.dev.AccessToken, nil, 403, "forbidden"},
		{"a Developer may not hash", "POST", "/v1/audit/hash", e.dev.AccessToken, hashBody, 403, "forbidden"},
		{"a Developer may not list holds", "GET", "/v1/audit/holds", e.dev.AccessToken, nil, 403, "forbidden"},
		{"an Admin's API token may not query", "GET", "/v1/audit/events", apiToken.Token, nil, 403, "forbidden"},
		{"an Auditor may not run retention", "POST", "/v1/audit/retention", e.auditor.AccessToken, nil, 403, "forbidden"},
		{"an Auditor may not erase a subject", "DELETE", "/v1/audit/subjects/" + e.devUser.ID + "/key", e.auditor.AccessToken, nil, 403, "forbidden"},
		{"nobody anonymous", "GET", "/v1/audit/events", "", nil, 401, "unauthorized"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct := ""
			if c.body != nil {
				ct = "application/json"
			}
			wantError(t, e.request(c.method, c.path, c.token, ct, c.body), c.status, c.code)
		})
	}
	// The refusals are audited, as failures of the action attempted.
	denied := e.events(t, client.AuditFilter{Actions: []string{"audit.query"}, Outcome: "failure"})
	if len(denied) < 3 { // the Developer's query and holds listing, the API token's query
		t.Fatalf("refused queries audited: %d, want at least 3", len(denied))
	}
	if field(denied[0], "event.reason") != "forbidden" {
		t.Errorf("a refused query's event: %v", denied[0])
	}
}

func TestAuditQueryIsItselfAudited(t *testing.T) {
	t.Parallel()
	e := newAuditEnv(t)
	c := e.as(e.auditor.AccessToken)
	if _, err := c.AuditEvents(e.ctx(), client.AuditFilter{Actions: []string{"auth.login"}, ActorUsers: []string{e.devUser.ID}}, "", 10); err != nil {
		t.Fatal(err)
	}
	queries := e.events(t, client.AuditFilter{Actions: []string{"audit.query"}, Outcome: "success"})
	if len(queries) == 0 {
		t.Fatal("the query was not audited")
	}
	q := queries[len(queries)-1] // the oldest: the first query
	// Detail keys hold dots themselves: look the key up whole.
	if details, _ := field(q, "portcullis.details").(map[string]any); details["filter.action"] != "auth.login" {
		t.Errorf("the query's filter is not recorded: %v", q)
	}
	if raw, _ := json.Marshal(q); bytes.Contains(raw, []byte(e.devUser.ID)) {
		t.Errorf("the audit.query event holds the raw user id searched for: %s", raw)
	}
	pseudonyms, err := c.AuditHash(e.ctx(), "user.id", e.auditorUser.ID)
	if err != nil || len(pseudonyms) == 0 {
		t.Fatalf("hash: %v %v", pseudonyms, err)
	}
	if field(q, "user.id") != pseudonyms[0] {
		t.Errorf("the query's actor %v is not the auditor's pseudonym %s", field(q, "user.id"), pseudonyms[0])
	}
	if hashes := e.events(t, client.AuditFilter{Actions: []string{"audit.hash"}}); len(hashes) != 1 || field(hashes[0], "portcullis.details.field") != "user.id" {
		t.Errorf("audit.hash events: %v", hashes)
	}
}

func TestAuditEventsCarryTheRequest(t *testing.T) {
	t.Parallel()
	e := newAuditEnv(t)
	const reqID = "gw:req-0042.a_b"
	body := []byte(`{"username":"dev","password":"dev-password-1"}`)
	r := e.request("POST", "/v1/auth/login", "", "application/json", body, "X-Request-Id", reqID)
	if r.Status != 200 || r.Header.Get("X-Request-Id") != reqID {
		t.Fatalf("login: %d %q", r.Status, r.Header.Get("X-Request-Id"))
	}
	logins := e.events(t, client.AuditFilter{RequestID: reqID})
	if len(logins) != 1 || field(logins[0], "event.action") != "auth.login" || field(logins[0], "event.outcome") != "success" {
		t.Fatalf("events of request %s: %v", reqID, logins)
	}
	l := logins[0]
	if ip := field(l, "source.ip"); ip != "127.0.0.0" {
		t.Errorf("source.ip = %v, want the truncated loopback", ip)
	}
	if field(l, "portcullis.source_ip_hash") == nil || field(l, "portcullis.session_id") == nil {
		t.Errorf("login event lacks the address hash or session: %v", l)
	}
	raw, _ := json.Marshal(l)
	for _, personal := range []string{e.devUser.ID, `"dev"`, "127.0.0.1"} {
		if bytes.Contains(raw, []byte(personal)) {
			t.Errorf("the login event holds %s in clear: %s", personal, raw)
		}
	}
	// The raw user id and the full address find it too.
	if got := e.events(t, client.AuditFilter{ActorUsers: []string{e.devUser.ID}, Actions: []string{"auth.login"}, Sources: []string{"127.0.0.1"}}); len(got) != 2 {
		t.Errorf("the dev's logins by user id and address: %d, want 2 (harness and this one)", len(got))
	}
	// An admin action names its subject by pseudonym, and carries the roles.
	created := e.events(t, client.AuditFilter{Actions: []string{"user.create"}, Resource: pseudonym(t, e, e.devUser.ID)})
	if len(created) != 1 || field(created[0], "user.roles") == nil {
		t.Fatalf("user.create of dev: %v", created)
	}
}

func pseudonym(t *testing.T, e *auditEnv, userID string) string {
	t.Helper()
	hs, err := e.as(e.auditor.AccessToken).AuditHash(e.ctx(), "user.id", userID)
	if err != nil {
		t.Fatal(err)
	}
	return hs[0]
}

func TestAuditBadQueriesAreRefused(t *testing.T) {
	t.Parallel()
	e := newAuditEnv(t)
	long := strings.Repeat("x", 300)
	for _, c := range []struct{ name, query, names string }{
		{"an unknown parameter", "colour=red", "colour"},
		{"an action outside the catalogue", "action=user.teleport", "action"},
		{"a malformed time", "from=yesterday", "from"},
		{"an unknown outcome", "outcome=maybe", "outcome"},
		{"a limit above the maximum", "limit=5000", "limit"},
		{"a limit of zero", "limit=0", "limit"},
		{"a forged cursor", "cursor=%00%ff", "cursor"},
		{"a too long actor_user", "actor_user=" + long, "actor_user"},
		{"an empty actor_user", "actor_user=", "actor_user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := wantError(t, e.request("GET", "/v1/audit/events?"+c.query, e.auditor.AccessToken, "", nil), 400, "invalid_request")
			if msg, _ := m["message"].(string); !strings.Contains(msg, c.names) {
				t.Errorf("message %q does not name %s", msg, c.names)
			}
		})
	}
	for _, q := range []string{"", "format=pdf", "format=json&format=csv", "format=jsonl&limit=5", "format=csv&colour=red"} {
		wantError(t, e.request("GET", "/v1/audit/export?"+q, e.auditor.AccessToken, "", nil), 400, "invalid_request")
	}
	for _, body := range []string{`{"field":"user.password","value":"x"}`, `{"field":"source.ip","value":"not-an-ip"}`, `{"field":"user.id"}`} {
		wantError(t, e.request("POST", "/v1/audit/hash", e.auditor.AccessToken, "application/json", []byte(body)), 400, "invalid_request")
	}
}

func TestAuditExportFormatsStream(t *testing.T) {
	t.Parallel()
	e := newAuditEnv(t)
	logins := len(e.events(t, client.AuditFilter{Actions: []string{"auth.login"}}))
	q := url.Values{"action": {"auth.login"}}.Encode()
	for _, c := range []struct {
		format, contentType string
		check               func(t *testing.T, body []byte)
	}{
		{"json", "application/json", func(t *testing.T, body []byte) {
			var recs []client.AuditRecord
			if err := json.Unmarshal(body, &recs); err != nil || len(recs) != logins {
				t.Fatalf("json export: %d records, %v", len(recs), err)
			}
		}},
		{"jsonl", "application/jsonl", func(t *testing.T, body []byte) { lines(t, body, logins, "writer") }},
		{"ecs", "application/x-ndjson", func(t *testing.T, body []byte) { lines(t, body, logins, "@timestamp") }},
		{"hec", "", func(t *testing.T, body []byte) { lines(t, body, logins, "event") }},
		{"csv", "text/csv", func(t *testing.T, body []byte) {
			rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil || len(rows) != logins+1 {
				t.Fatalf("csv export: %d rows, %v", len(rows), err)
			}
		}},
	} {
		t.Run(c.format, func(t *testing.T) {
			r := e.request("GET", "/v1/audit/export?format="+c.format+"&"+q, e.auditor.AccessToken, "", nil)
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); c.contentType != "" && !strings.HasPrefix(ct, c.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, c.contentType)
			}
			c.check(t, r.Body)
		})
	}
	if n := len(e.events(t, client.AuditFilter{Actions: []string{"audit.export"}})); n != 5 {
		t.Errorf("audit.export events: %d, want 5", n)
	}
}

// lines checks body is n JSON objects, one per line, each with key.
func lines(t *testing.T, body []byte, n int, key string) {
	t.Helper()
	ls := strings.Split(strings.TrimRight(string(body), "\n"), "\n")
	if len(ls) != n {
		t.Fatalf("%d lines, want %d:\n%s", len(ls), n, body)
	}
	for _, l := range ls {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m[key] == nil {
			t.Fatalf("line %q: %v, or no %q", l, err, key)
		}
	}
}

func TestAuditVerifyFindsAFlippedByte(t *testing.T) {
	t.Parallel()
	e := newAuditEnv(t)
	c := e.as(e.auditor.AccessToken)
	v, err := c.AuditVerify(e.ctx())
	if err != nil || !v.Intact || len(v.Chains) == 0 {
		t.Fatalf("verify of a fresh trail: %+v %v", v, err)
	}
	// Flip one byte inside the first record of secretsd's standard chain.
	segs, _ := filepath.Glob(filepath.Join(e.AuditDir, "*", "standard", "*"))
	var seg string
	for _, s := range segs {
		if b, err := os.ReadFile(s); err == nil && bytes.Contains(b, []byte(`"auth.login"`)) {
			seg = s
			break
		}
	}
	if seg == "" {
		t.Fatalf("no segment holds a login among %v", segs)
	}
	b, _ := os.ReadFile(seg)
	i := bytes.Index(b, []byte(`"auth.login"`))
	b[i+1] ^= 0x01
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err = c.AuditVerify(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if v.Intact {
		t.Fatal("a flipped byte went unnoticed")
	}
	found := false
	for _, ch := range v.Chains {
		found = found || ch.Problem != nil && ch.Problem.Seq > 0
	}
	if !found {
		t.Errorf("no chain names the changed record: %+v", v.Chains)
	}
	if fails := e.events(t, client.AuditFilter{Actions: []string{"audit.verify"}, Outcome: "failure"}); len(fails) != 1 {
		t.Errorf("failed verifications audited: %d, want 1", len(fails))
	}
}

func TestLegalHoldsRetentionAndErasure(t *testing.T) {
	t.Parallel()
	e := newAuditEnv(t)
	aud, adm := e.as(e.auditor.AccessToken), e.as(e.admin.AccessToken)
	h, err := aud.PlaceLegalHold(e.ctx(), "case 2024-17", e.Clock.Now().AddDate(-1, 0, 0), e.Clock.Now())
	if err != nil || h.ID == "" || h.CreatedBy == "" || strings.Contains(h.CreatedBy, e.auditorUser.ID) {
		t.Fatalf("placing a hold: %+v %v", h, err)
	}
	holds, err := aud.LegalHolds(e.ctx())
	if err != nil || len(holds) != 1 || holds[0].ID != h.ID {
		t.Fatalf("holds: %+v %v", holds, err)
	}
	res, err := adm.RunRetention(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if len(r.Deleted) != 0 {
			t.Errorf("retention deleted fresh events: %+v", r)
		}
	}
	if err := aud.ReleaseLegalHold(e.ctx(), h.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, aud.ReleaseLegalHold(e.ctx(), h.ID), client.CodeNotFound)
	if got := e.events(t, client.AuditFilter{Actions: []string{"audit.legal_hold"}}); len(got) != 2 {
		t.Errorf("legal hold events: %d, want 2 (place, release)", len(got))
	}

	erased, err := adm.EraseAuditSubject(e.ctx(), e.devUser.ID)
	if err != nil || !erased {
		t.Fatalf("erasing dev: %v %v", erased, err)
	}
	if erased, err := adm.EraseAuditSubject(e.ctx(), e.devUser.ID); err != nil || erased {
		t.Fatalf("erasing twice: %v %v", erased, err)
	}
	if got := e.events(t, client.AuditFilter{Actions: []string{"audit.erase"}}); len(got) != 2 || field(got[0], "portcullis.details.effect") != "subject_key_deleted" {
		t.Errorf("erasures audited: %v", got)
	}
	if v, err := aud.AuditVerify(e.ctx()); err != nil || !v.Intact {
		t.Errorf("the trail after an erasure: %+v %v", v, err)
	}
}
