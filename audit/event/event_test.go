package event_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/internal/clock"
)

var t0 = time.Date(2026, 11, 28, 9, 30, 15, 123456789, time.FixedZone("CET", 3600))

func sample(t *testing.T) event.Event {
	t.Helper()
	e := event.New(event.GatewayRequest, event.Failure, clock.NewManual(t0))
	e.Event.Reason = "cedar policy denied the request"
	e.Event.Duration = int64(850 * time.Microsecond)
	e.User = &event.User{ID: "p1:abc", Name: "p1:def", Roles: []string{"developer"}}
	e.Source = &event.Source{IP: "203.0.113.0", Address: "203.0.113.0"}
	e.HTTP = &event.HTTP{
		Request:  &event.HTTPRequest{Method: "GET"},
		Response: &event.HTTPResponse{StatusCode: 403, Body: &event.HTTPBody{Bytes: 57}},
	}
	e.URL = &event.URL{Path: "/api/orders"}
	e.Portcullis = &event.Product{
		RequestID:  "01JDREQ",
		DecisionID: "dec-1",
		PolicyIDs:  []string{"policy0", "policy3"},
		RateLimit:  &event.RateLimit{Zone: "api", Limit: 100, Remaining: 0, RetryAfterMS: 1500},
		MFA:        &event.MFA{Method: "totp", Verified: true},
		Resource:   &event.Resource{Type: "route", ID: "orders"},
		Details:    map[string]string{"z": "last", "a": "first"},
	}
	return e
}

func TestNewFillsTheHeaderFromTheCatalogue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		outcome event.Outcome
		code    string
	}{
		{"success carries the success code", event.Success, "1001"},
		{"failure carries the failure code", event.Failure, "1002"},
		{"unknown outcome carries no code", event.Unknown, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := event.New(event.AuthLogin, tc.outcome, clock.NewManual(t0))
			if e.Event.Code != tc.code || e.Event.Outcome != tc.outcome {
				t.Fatalf("code=%q outcome=%q, want %q %q", e.Event.Code, e.Event.Outcome, tc.code, tc.outcome)
			}
			if !e.Timestamp.Equal(t0) || e.Timestamp.Location() != time.UTC {
				t.Fatalf("timestamp %s, want %s in UTC", e.Timestamp, t0)
			}
			if e.ECS.Version != "8.11" || e.Event.Action != "auth.login" || e.Event.Kind != "event" {
				t.Fatalf("header not filled: %+v", e)
			}
		})
	}
}

func TestAlertsAreKindAlert(t *testing.T) {
	t.Parallel()
	e := event.New(event.TokenRefreshReuse, event.Failure, clock.NewManual(t0))
	if e.Event.Kind != "alert" {
		t.Fatalf("refresh-token reuse kind = %q, want alert", e.Event.Kind)
	}
}

func TestEventIDsAreUUIDv7AndUnique(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	clk := clock.NewManual(t0)
	prev := ""
	for i := 0; i < 1000; i++ {
		clk.Advance(time.Millisecond)
		id := event.New(event.AuthLogin, event.Success, clk).Event.ID
		if !re.MatchString(id) {
			t.Fatalf("id %q is not a UUIDv7", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		if id < prev {
			t.Fatalf("id %q sorts before the earlier %q", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestJSONHasTheECSRequiredFields(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var cur any = m
		for _, p := range path {
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = obj[p]
		}
		return cur
	}
	for _, path := range [][]string{
		{"@timestamp"}, {"ecs", "version"},
		{"event", "id"}, {"event", "kind"}, {"event", "category"}, {"event", "type"},
		{"event", "action"}, {"event", "outcome"}, {"event", "code"},
		{"user", "id"}, {"source", "ip"}, {"http", "request", "method"},
		{"http", "response", "status_code"}, {"http", "response", "body", "bytes"},
		{"url", "path"}, {"portcullis", "request_id"}, {"portcullis", "policy_ids"},
	} {
		if get(path...) == nil {
			t.Errorf("field %v missing from %s", path, raw)
		}
	}
	if got := get("ecs", "version"); got != "8.11" {
		t.Errorf("ecs.version = %v, want 8.11", got)
	}
	if got := get("@timestamp"); got != "2026-11-28T08:30:15.123456789Z" {
		t.Errorf("@timestamp = %v, want RFC 3339 in UTC", got)
	}
}

func TestJSONShapeIsStable(t *testing.T) {
	t.Parallel()
	e := sample(t)
	e.Event.ID = "fixed"
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	// The store hashes these bytes: the order of fields is part of the format.
	want := `{"@timestamp":"2026-11-28T08:30:15.123456789Z","ecs":{"version":"8.11"},` +
		`"event":{"id":"fixed","code":"5002","kind":"event","category":["web"],"type":["access"],` +
		`"action":"gateway.request","outcome":"failure","reason":"cedar policy denied the request","duration":850000},` +
		`"user":{"id":"p1:abc","name":"p1:def","roles":["developer"]},` +
		`"source":{"ip":"203.0.113.0","address":"203.0.113.0"},` +
		`"http":{"request":{"method":"GET"},"response":{"status_code":403,"body":{"bytes":57}}},` +
		`"url":{"path":"/api/orders"},` +
		`"portcullis":{"request_id":"01JDREQ","decision_id":"dec-1","policy_ids":["policy0","policy3"],` +
		`"rate_limit":{"zone":"api","limit":100,"remaining":0,"retry_after_ms":1500},` +
		`"mfa":{"method":"totp","verified":true},"resource":{"type":"route","id":"orders"},` +
		`"details":{"a":"first","z":"last"}}}`
	if string(raw) != want {
		t.Fatalf("JSON shape changed:\n got %s\nwant %s", raw, want)
	}
	// Decoding and encoding again gives the same bytes.
	var back event.Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if !bytes.Equal(raw, again) {
		t.Fatalf("round trip changed the bytes:\n got %s\nwant %s", again, raw)
	}
}

func TestMinimalEventOmitsEmptyFieldSets(t *testing.T) {
	t.Parallel()
	e := event.New(event.KeyRotate, event.Success, clock.NewManual(t0))
	e.Event.ID = "fixed"
	raw, _ := json.Marshal(e)
	want := `{"@timestamp":"2026-11-28T08:30:15.123456789Z","ecs":{"version":"8.11"},` +
		`"event":{"id":"fixed","code":"6101","kind":"event","category":["configuration"],"type":["change"],` +
		`"action":"key.rotate","outcome":"success"}}`
	if string(raw) != want {
		t.Fatalf("got %s\nwant %s", raw, want)
	}
}

// FuzzEventJSON: any JSON decodes into an Event (or is rejected) without panic,
// and what decodes re-encodes, and re-encodes to the same bytes a second time.
func FuzzEventJSON(f *testing.F) {
	e := event.New(event.GatewayRequest, event.Failure, clock.NewManual(t0))
	e.Portcullis = &event.Product{Details: map[string]string{"k": "v"}, RateLimit: &event.RateLimit{Limit: 1}}
	seed, _ := json.Marshal(e)
	f.Add(seed)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"@timestamp":"2026-01-01T00:00:00+05:30","event":{"duration":-1,"category":null}}`))
	f.Add([]byte(`{"user":{"roles":["a",null]},"portcullis":{"details":{"":"\u0000"}}}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return
		}
		first, err := json.Marshal(ev)
		if err != nil {
			return // e.g. a year beyond 9999 cannot be encoded; the store rejects it.
		}
		var back event.Event
		if err := json.Unmarshal(first, &back); err != nil {
			t.Fatalf("re-decoding our own output failed: %v\n%s", err, first)
		}
		second, err := json.Marshal(back)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("encoding is not stable (err %v):\n%s\n%s", err, first, second)
		}
	})
}
