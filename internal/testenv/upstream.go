package testenv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Echo is what the upstream answers: the request as it arrived, so tests can
// see which headers the gateway passed or stripped.
type Echo struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Headers map[string][]string `json:"headers"`
}

// Upstream starts a real HTTP server that echoes each request as JSON.
func Upstream(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Echo{Method: r.Method, Path: r.URL.Path, Headers: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}
