package audit_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/caddymodules/audit"
)

// When the trail refuses an event (queue full, fail closed), new requests are
// answered 503 before they reach the upstream, until it accepts events again.
func TestQueueFullRefusesRequestsUntilTheTrailAcceptsAgain(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{}
	h := audit.NewForTest(sink, false)
	upstreamCalls := 0
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		upstreamCalls++
		return nil
	})
	send := func() *httptest.ResponseRecorder {
		t.Helper()
		rec, err := serve(t, h, httptest.NewRequest("GET", "/api/x", nil), next)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}

	sink.setFull(true)
	// In flight when the queue filled: answered, its event refused (counted).
	if rec := send(); rec.Code != 200 || upstreamCalls != 1 {
		t.Fatalf("status %d, upstream calls %d", rec.Code, upstreamCalls)
	}
	rec := send()
	if rec.Code != http.StatusServiceUnavailable || upstreamCalls != 1 {
		t.Fatalf("while full: status %d, upstream calls %d; want 503 without reaching the upstream", rec.Code, upstreamCalls)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] != "audit_unavailable" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("503 body %s (%v), Retry-After %q", rec.Body, err, rec.Header().Get("Retry-After"))
	}

	sink.setFull(false)
	// The next refused request's own event is accepted: it is audited, and
	// serving resumes after it.
	if rec := send(); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want the 503 whose event reopens the gate", rec.Code)
	}
	evs := sink.taken()
	if len(evs) != 1 || evs[0].Event.Reason != "audit_unavailable" || evs[0].Event.Outcome != event.Failure || evs[0].HTTP.Response.StatusCode != 503 {
		t.Fatalf("events %+v", evs)
	}
	if rec := send(); rec.Code != 200 || upstreamCalls != 2 {
		t.Fatalf("after recovery: status %d, upstream calls %d", rec.Code, upstreamCalls)
	}
}

func TestFailOpenServesWhateverTheTrailSays(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{full: true}
	h := audit.NewForTest(sink, true)
	for range 3 {
		rec, err := serve(t, h, httptest.NewRequest("GET", "/", nil), caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return nil }))
		if err != nil || rec.Code != 200 {
			t.Fatalf("status %d, %v", rec.Code, err)
		}
	}
}

// A handler error becomes the status Caddy answers with, and is audited as such.
func TestHandlerErrorsAreAuditedWithTheirStatus(t *testing.T) {
	t.Parallel()
	sink := &fakeSink{}
	h := audit.NewForTest(sink, false)
	_, err := serve(t, h, httptest.NewRequest("POST", "/api/x", nil), caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return caddyhttp.Error(http.StatusBadGateway, errors.New("dial tcp: connection refused"))
	}))
	if err == nil {
		t.Fatal("the handler error was swallowed")
	}
	evs := sink.taken()
	if len(evs) != 1 || evs[0].HTTP.Response.StatusCode != 502 || evs[0].Event.Reason != "handler_error" || evs[0].Event.Outcome != event.Failure {
		t.Fatalf("events %+v", evs)
	}
}
