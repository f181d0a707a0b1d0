package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/secretsd/api"
)

// These run the handler without services: what the API decides before it
// reaches them.

func TestAPanickingHandlerIsA500AndLogged(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := api.New(api.Options{Log: zerolog.New(&logs)}) // no identity service: authenticating panics
	req := httptest.NewRequest(http.MethodGet, "/v1/auth/whoami", nil)
	req.Header.Set("Authorization", "Bearer x")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"error":"internal"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "handler panicked") || !strings.Contains(logs.String(), `"status":500`) {
		t.Fatalf("log: %s", logs.String())
	}
}

func TestHealthWithoutAStoreCheckIsUnavailable(t *testing.T) {
	t.Parallel()
	a := api.New(api.Options{Log: zerolog.Nop()})
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if w.Code != 503 || !strings.Contains(w.Body.String(), `"store":"error"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestProbesAreLoggedAtDebugOnly(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := api.New(api.Options{Log: zerolog.New(&logs).Level(zerolog.InfoLevel),
		PingStore: func(context.Context) error { return nil }})
	for _, path := range []string{"/healthz", "/metrics"} {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != 200 {
			t.Fatalf("%s: %d", path, w.Code)
		}
	}
	if logs.Len() != 0 {
		t.Fatalf("probes logged at info: %s", logs.String())
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/none", nil))
	if !strings.Contains(logs.String(), `"route":"unmatched"`) {
		t.Fatalf("other requests are logged at info: %q", logs.String())
	}
}
