package export_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/export"
	"github.com/portcullis/portcullis/audit/record"
	"github.com/portcullis/portcullis/internal/clock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123_000_000, time.UTC)

// sampleEvent is a fully populated event, as the gateway writes one.
func sampleEvent(i int) event.Event {
	clk := clock.NewManual(t0.Add(time.Duration(i) * time.Second))
	e := event.New(event.AuthLogin, event.Failure, clk)
	e.Event.Reason = "bad password"
	e.Event.Duration = 1_500_000
	e.User = &event.User{ID: "u-pseudonym", Name: "n-pseudonym", Roles: []string{"Admin", "Auditor"}}
	e.Source = &event.Source{IP: "192.0.2.0"}
	e.HTTP = &event.HTTP{
		Request:  &event.HTTPRequest{Method: "POST"},
		Response: &event.HTTPResponse{StatusCode: 401, Body: &event.HTTPBody{Bytes: 0}},
	}
	e.URL = &event.URL{Path: "/v1/login"}
	e.Portcullis = &event.Product{
		RequestID:    "req-1",
		SessionID:    "ses-1",
		DecisionID:   "dec-1",
		PolicyIDs:    []string{"policy0", "policy1"},
		SourceIPHash: "h-abc",
		Resource:     &event.Resource{Type: "user", ID: "alice-pseudonym"},
		Details:      map[string]string{"factor": "password", "note": "a,b \"c\""},
	}
	return e
}

func recordOf(t testing.TB, e event.Event, seq uint64) record.Record {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return record.Record{Cursor: int64(seq), Writer: "gateway-host1", Class: "standard", Seq: seq, Time: e.Timestamp, Event: b}
}

func sampleRecords(t testing.TB, n int) []record.Record {
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = recordOf(t, sampleEvent(i), uint64(i+1))
	}
	return recs
}

// exportDoc writes recs in f and returns the document.
func exportDoc(t testing.TB, f export.Format, opts export.Options, recs ...record.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := export.New(&buf, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("%s: Write(seq %d): %v", f, r.Seq, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: Close: %v", f, err)
	}
	return buf.Bytes()
}

// lines splits an NDJSON document, requiring the final newline.
func lines(t testing.TB, doc []byte) [][]byte {
	t.Helper()
	if len(doc) == 0 {
		return nil
	}
	if doc[len(doc)-1] != '\n' {
		t.Fatalf("document does not end with a newline: %q", doc)
	}
	return bytes.Split(doc[:len(doc)-1], []byte("\n"))
}

var allFormats = []export.Format{export.JSON, export.JSONL, export.CSV, export.HEC, export.ECS}
