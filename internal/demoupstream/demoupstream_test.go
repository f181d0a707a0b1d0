package demoupstream_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/demoupstream"
)

func TestDemoAPI(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(demoupstream.Handler())
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		headers    map[string]string
		wantStatus int
		wantInBody []string
	}{
		{name: "health check answers ok", method: "GET", path: "/healthz", wantStatus: 200, wantInBody: []string{`"status":"ok"`}},
		{name: "project list holds the catalogue", method: "GET", path: "/api/projects", wantStatus: 200, wantInBody: []string{`"name":"payments"`, `"name":"search"`}},
		{name: "known project is returned", method: "GET", path: "/api/projects/2", wantStatus: 200, wantInBody: []string{`"id":"2"`, `"name":"search"`}},
		{name: "unknown project is 404 with a JSON body", method: "GET", path: "/api/projects/99", wantStatus: 404, wantInBody: []string{`"code":"not_found"`}},
		{name: "a team lists only its projects", method: "GET", path: "/api/teams/discovery/projects", wantStatus: 200, wantInBody: []string{`"name":"search"`}},
		{name: "a team creates a project", method: "POST", path: "/api/teams/platform/projects", body: `{"name":"atlas"}`, wantStatus: 201, wantInBody: []string{`"name":"atlas"`, `"team":"platform"`}},
		{name: "a team deletes a project", method: "DELETE", path: "/api/teams/platform/projects/1", wantStatus: 200, wantInBody: []string{`"deleted":"1"`}},
		{name: "deployment is accepted with defaults", method: "POST", path: "/api/deployments", body: `{"project":"3"}`, wantStatus: 201, wantInBody: []string{`"project":"3"`, `"environment":"development"`, `"status":"accepted"`}},
		{name: "identity headers from the gateway are echoed", method: "GET", path: "/api/projects/1",
			headers:    map[string]string{"X-Portcullis-User": "alice", "X-Portcullis-Role": "Developer", "X-Other": "hidden"},
			wantStatus: 200, wantInBody: []string{`"caller":{"role":"Developer","user":"alice"}`}},
		{name: "wrong method is refused", method: "DELETE", path: "/api/projects/1", wantStatus: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var raw json.RawMessage
			if tc.wantStatus != 405 {
				if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
					t.Fatalf("body is not JSON: %v", err)
				}
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tc.wantStatus, raw)
			}
			for _, want := range tc.wantInBody {
				if !strings.Contains(string(raw), want) {
					t.Errorf("body %s does not contain %s", raw, want)
				}
			}
		})
	}
}

func TestCallerKeepsOnlyIdentityHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-Portcullis-User", "bob")
	h.Add("X-Portcullis-Groups", "a")
	h.Add("X-Portcullis-Groups", "b")
	h.Set("Authorization", "Bearer secret")
	got := demoupstream.Caller(h)
	if len(got) != 2 || got["user"] != "bob" || got["groups"] != "a, b" {
		t.Fatalf("Caller = %v", got)
	}
}

func BenchmarkProjectByID(b *testing.B) {
	h := demoupstream.Handler()
	req := httptest.NewRequest("GET", "/api/projects/1", nil)
	req.Header.Set("X-Portcullis-User", "alice")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
