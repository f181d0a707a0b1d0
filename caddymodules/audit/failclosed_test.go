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

// With no place for its event in the trail's queue (fail closed), a request
// is answered 503 before it reaches the upstream; once there is room again,
// requests are served and audited.
func TestQueueFullRefusesRequestsBeforeServingThem(t *testing.T) {
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
	rec := send()
	if rec.Code != http.StatusServiceUnavailable || upstreamCalls != 0 {
		t.Fatalf("while full: status %d, upstream calls %d; want 503 without reaching the upstream", rec.Code, upstreamCalls)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] != "audit_unavailable" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("503 body %s (%v), Retry-After %q", rec.Body, err, rec.Header().Get("Retry-After"))
	}
	if evs := sink.taken(); len(evs) != 0 {
		t.Fatalf("events while full: %+v", evs)
	}

	sink.setFull(false)
	if rec := send(); rec.Code != 200 || upstreamCalls != 1 {
		t.Fatalf("after recovery: status %d, upstream calls %d", rec.Code, upstreamCalls)
	}
	evs := sink.taken()
	if len(evs) != 1 || evs[0].Event.Outcome != event.Success || evs[0].HTTP.Response.StatusCode != 200 {
		t.Fatalf("events %+v", evs)
	}
	if sink.reserved != 0 {
		t.Fatalf("%d places left reserved", sink.reserved)
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
