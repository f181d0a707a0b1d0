package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/export"
	"github.com/portcullis/portcullis/audit/record"
)

type recordObject struct {
	Writer string          `json:"writer"`
	Class  string          `json:"class"`
	Seq    *uint64         `json:"seq"`
	Event  json.RawMessage `json:"event"`
}

func TestJSONArrayDecodesWithEveryRecordAndItsExactPayload(t *testing.T) {
	t.Parallel()
	recs := sampleRecords(t, 5)
	doc := exportDoc(t, export.JSON, export.Options{}, recs...)
	var got []recordObject
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("JSON export does not decode: %v\n%s", err, doc)
	}
	if len(got) != len(recs) {
		t.Fatalf("got %d records, want %d", len(got), len(recs))
	}
	for i, g := range got {
		if g.Writer != recs[i].Writer || g.Class != recs[i].Class || g.Seq == nil || *g.Seq != recs[i].Seq {
			t.Errorf("record %d: position %s/%s#%v, want %s/%s#%d", i, g.Writer, g.Class, g.Seq, recs[i].Writer, recs[i].Class, recs[i].Seq)
		}
		if !bytes.Equal(g.Event, recs[i].Event) {
			t.Errorf("record %d: payload re-encoded:\n got %s\nwant %s", i, g.Event, recs[i].Event)
		}
	}
}

func TestJSONLinesEachLineIsOneRecordObject(t *testing.T) {
	t.Parallel()
	recs := sampleRecords(t, 4)
	doc := exportDoc(t, export.JSONL, export.Options{}, recs...)
	ls := lines(t, doc)
	if len(ls) != len(recs) {
		t.Fatalf("got %d lines, want %d", len(ls), len(recs))
	}
	for i, l := range ls {
		var g recordObject
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&g); err != nil {
			t.Fatalf("line %d does not decode: %v: %s", i, err, l)
		}
		if g.Seq == nil || *g.Seq != recs[i].Seq || !bytes.Equal(g.Event, recs[i].Event) {
			t.Errorf("line %d: %s", i, l)
		}
	}
}

func TestECSEveryLineCarriesTheRequiredFields(t *testing.T) {
	t.Parallel()
	recs := sampleRecords(t, 3)
	doc := exportDoc(t, export.ECS, export.Options{}, recs...)
	ls := lines(t, doc)
	if len(ls) != len(recs) {
		t.Fatalf("got %d lines, want %d", len(ls), len(recs))
	}
	for i, l := range ls {
		if !bytes.Equal(l, recs[i].Event) {
			t.Errorf("line %d is not the payload as written:\n got %s\nwant %s", i, l, recs[i].Event)
		}
		var e struct {
			Timestamp string `json:"@timestamp"`
			ECS       struct {
				Version string `json:"version"`
			} `json:"ecs"`
			Event struct {
				Kind     string   `json:"kind"`
				Category []string `json:"category"`
				Type     []string `json:"type"`
				Action   string   `json:"action"`
				Outcome  string   `json:"outcome"`
			} `json:"event"`
		}
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if e.Timestamp == "" || e.ECS.Version == "" || e.Event.Kind == "" || len(e.Event.Category) == 0 ||
			len(e.Event.Type) == 0 || e.Event.Action == "" || e.Event.Outcome == "" {
			t.Errorf("line %d lacks a required ECS field: %s", i, l)
		}
	}
}

func TestECSRefusesAPayloadLackingARequiredField(t *testing.T) {
	t.Parallel()
	full := sampleRecords(t, 1)[0]
	cases := []struct {
		name string
		drop func(m map[string]any)
		want string
	}{
		{"no @timestamp", func(m map[string]any) { delete(m, "@timestamp") }, "@timestamp"},
		{"no ecs.version", func(m map[string]any) { delete(m, "ecs") }, "ecs.version"},
		{"no event.kind", func(m map[string]any) { delete(m["event"].(map[string]any), "kind") }, "event.kind"},
		{"no event.category", func(m map[string]any) { delete(m["event"].(map[string]any), "category") }, "event.category"},
		{"empty event.type", func(m map[string]any) { m["event"].(map[string]any)["type"] = []string{} }, "event.type"},
		{"no event.action", func(m map[string]any) { delete(m["event"].(map[string]any), "action") }, "event.action"},
		{"no event.outcome", func(m map[string]any) { delete(m["event"].(map[string]any), "outcome") }, "event.outcome"},
		{"outcome out of ECS values", func(m map[string]any) { m["event"].(map[string]any)["outcome"] = "maybe" }, "event.outcome"},
		{"field name in the wrong case", func(m map[string]any) { m["EVENT"] = m["event"]; delete(m, "event") }, "event"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m map[string]any
			if err := json.Unmarshal(full.Event, &m); err != nil {
				t.Fatal(err)
			}
			tc.drop(m)
			r := full
			r.Event, _ = json.Marshal(m)
			var buf bytes.Buffer
			w, _ := export.New(&buf, export.ECS, export.Options{})
			err := w.Write(r)
			if !errors.Is(err, export.ErrPayload) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write = %v, want a payload error naming %s", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("a refused record was partly written: %q", buf.String())
			}
		})
	}
}

func TestECSRefusesADuplicateOrEscapedRequiredKey(t *testing.T) {
	t.Parallel()
	base := `"@timestamp":"2026-03-01T12:00:00Z","ecs":{"version":"8.11"}`
	ev := `"event":{"kind":"event","category":["iam"],"type":["change"],"action":"a","outcome":"success"}`
	cases := map[string]string{
		"event twice":            "{" + base + "," + ev + "," + ev + "}",
		"escaped event key":      "{" + base + `,"\u0065vent":{"kind":"event","category":["iam"],"type":["change"],"action":"a","outcome":"success"}}`,
		"category with an empty": "{" + base + `,"event":{"kind":"event","category":["iam",""],"type":["change"],"action":"a","outcome":"success"}}`,
		"timestamp not a time":   `{"@timestamp":"yesterday","ecs":{"version":"8.11"},` + ev + "}",
	}
	for name, p := range cases {
		r := record.Record{Writer: "w", Class: "c", Seq: 1, Event: json.RawMessage(p)}
		if _, err := export.AppendECS(nil, r); !errors.Is(err, export.ErrPayload) {
			t.Errorf("%s: AppendECS = %v, want a payload error", name, err)
		}
	}
	ok := record.Record{Writer: "w", Class: "c", Seq: 1, Event: json.RawMessage("{ " + base + " , " + ev + " }")}
	if _, err := export.AppendECS(nil, ok); err != nil {
		t.Errorf("a valid event with spaces was refused: %v", err)
	}
}

func TestHECEnvelopesAreWellFormed(t *testing.T) {
	t.Parallel()
	recs := sampleRecords(t, 3)
	opts := export.Options{Host: "gw1", Index: "audit"}
	doc := exportDoc(t, export.HEC, opts, recs...)
	ls := lines(t, doc)
	if len(ls) != len(recs) {
		t.Fatalf("got %d lines, want %d", len(ls), len(recs))
	}
	for i, l := range ls {
		var env map[string]json.RawMessage
		if err := json.Unmarshal(l, &env); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		var tm float64
		if err := json.Unmarshal(env["time"], &tm); err != nil {
			t.Fatalf("line %d: time is not a number: %s", i, env["time"])
		}
		if want := float64(recs[i].Time.UnixMilli()) / 1000; tm != want {
			t.Errorf("line %d: time %v, want %v", i, tm, want)
		}
		for k, want := range map[string]string{"host": `"gw1"`, "source": `"portcullis"`, "sourcetype": `"portcullis:audit"`, "index": `"audit"`} {
			if string(env[k]) != want {
				t.Errorf("line %d: %s = %s, want %s", i, k, env[k], want)
			}
		}
		if !bytes.Equal(env["event"], recs[i].Event) {
			t.Errorf("line %d: event is not the payload as written: %s", i, env["event"])
		}
		var fields map[string]string
		if err := json.Unmarshal(env["fields"], &fields); err != nil || fields["portcullis_seq"] == "" {
			t.Errorf("line %d: indexed fields %s: %v", i, env["fields"], err)
		}
	}
}

func TestHECOmitsEmptyHostAndIndexAndTakesTimeFromThePayload(t *testing.T) {
	t.Parallel()
	r := sampleRecords(t, 1)[0]
	want := float64(r.Time.UnixMilli()) / 1000
	r.Time = time.Time{} // not from the index: the payload's @timestamp counts
	b, err := export.HECEvent(nil, r, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if _, ok := env["host"]; ok {
		t.Errorf("empty host written: %s", b)
	}
	if _, ok := env["index"]; ok {
		t.Errorf("empty index written: %s", b)
	}
	if env["time"] != want {
		t.Errorf("time = %v, want %v from @timestamp", env["time"], want)
	}
	r.Event = json.RawMessage(`{"a":1}`)
	if _, err := export.HECEvent(nil, r, export.Options{}); !errors.Is(err, export.ErrPayload) {
		t.Errorf("HECEvent without any time = %v, want a payload error", err)
	}
}

func TestHECTimeHasMillisecondsAlsoBeforeTheEpoch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.UnixMilli(1_700_000_000_007), `{"time":1700000000.007,`},
		{time.UnixMilli(-1_500), `{"time":-1.500,`},
		{time.UnixMilli(0), `{"time":0.000,`},
	}
	for _, tc := range cases {
		r := record.Record{Writer: "w", Class: "c", Seq: 1, Time: tc.t, Event: json.RawMessage(`{}`)}
		b, err := export.HECEvent(nil, r, export.Options{})
		if err != nil || !strings.HasPrefix(string(b), tc.want) {
			t.Errorf("HECEvent(%v) = %s, %v; want prefix %s", tc.t, b, err, tc.want)
		}
	}
}

func TestZeroRecordsMakeAValidEmptyDocument(t *testing.T) {
	t.Parallel()
	want := map[export.Format]string{
		export.JSON:  "[]\n",
		export.JSONL: "",
		export.HEC:   "",
		export.ECS:   "",
		export.CSV:   strings.Join(export.Columns, ",") + "\n",
	}
	for _, f := range allFormats {
		if got := string(exportDoc(t, f, export.Options{})); got != want[f] {
			t.Errorf("%s: empty export = %q, want %q", f, got, want[f])
		}
	}
	var empty []any
	if err := json.Unmarshal(exportDoc(t, export.JSON, export.Options{}), &empty); err != nil || len(empty) != 0 {
		t.Errorf("empty JSON export: %v %v", empty, err)
	}
}

func TestInvalidPayloadIsRefusedInEveryFormatAndNothingIsWritten(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name    string
		payload string
	}{
		{"empty", ""},
		{"not JSON", "hello"},
		{"truncated object", `{"@timestamp":"2026-03-01T12:00:00Z"`},
		{"array", `[1,2]`},
		{"string", `"x"`},
		{"leading space", ` {}`},
		{"two objects", `{}{}`},
		{"closing the array early", `{}],[{`},
	}
	good := sampleRecords(t, 2)
	for _, f := range allFormats {
		for _, b := range bad {
			t.Run(string(f)+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				w, err := export.New(&buf, f, export.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Write(good[0]); err != nil {
					t.Fatal(err)
				}
				before := buf.Len()
				r := good[1]
				r.Event = json.RawMessage(b.payload)
				err = w.Write(r)
				if !errors.Is(err, export.ErrPayload) || !strings.Contains(err.Error(), "gateway-host1/standard#2") {
					t.Fatalf("Write = %v, want a payload error naming the record", err)
				}
				if buf.Len() != before {
					t.Fatalf("refused record partly written: %q", buf.Bytes()[before:])
				}
				// The writer stays usable, and the document valid.
				if err := w.Write(good[1]); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if n := countRecords(t, f, buf.Bytes()); n != 2 {
					t.Fatalf("document holds %d records, want 2", n)
				}
			})
		}
	}
}

func TestPayloadWithLineBreaksIsCompactedToOneLine(t *testing.T) {
	t.Parallel()
	r := sampleRecords(t, 1)[0]
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, r.Event, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteString("\r\n")
	r.Event = pretty.Bytes()
	for _, f := range []export.Format{export.JSONL, export.HEC, export.ECS} {
		if ls := lines(t, exportDoc(t, f, export.Options{}, r)); len(ls) != 1 {
			t.Errorf("%s: one record took %d lines", f, len(ls))
		}
	}
}

// countRecords checks doc is a valid document of f and counts its records.
func countRecords(t testing.TB, f export.Format, doc []byte) int {
	t.Helper()
	switch f {
	case export.JSON:
		var a []map[string]json.RawMessage
		if err := json.Unmarshal(doc, &a); err != nil {
			t.Fatalf("JSON export does not decode: %v\n%s", err, doc)
		}
		return len(a)
	case export.CSV:
		rows, err := csv.NewReader(bytes.NewReader(doc)).ReadAll()
		if err != nil {
			t.Fatalf("CSV export does not parse: %v\n%s", err, doc)
		}
		return len(rows) - 1
	default:
		ls := lines(t, doc)
		for i, l := range ls {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(l, &m); err != nil {
				t.Fatalf("%s line %d does not decode: %v: %s", f, i, err, l)
			}
		}
		return len(ls)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	t.Parallel()
	r := sampleRecords(t, 1)[0]
	for _, f := range allFormats {
		w, _ := export.New(&bytes.Buffer{}, f, export.Options{})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(r); !errors.Is(err, export.ErrClosed) {
			t.Errorf("%s: Write after Close = %v, want ErrClosed", f, err)
		}
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestUnderlyingWriteErrorSticks(t *testing.T) {
	t.Parallel()
	r := sampleRecords(t, 1)[0]
	for _, f := range allFormats {
		fw := &failingWriter{}
		w, _ := export.New(fw, f, export.Options{})
		if err := w.Write(r); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("%s: Write = %v, want the disk error", f, err)
		}
		if err := w.Write(r); err == nil {
			t.Fatalf("%s: second Write succeeded after a write error", f)
		}
		if err := w.Close(); err == nil {
			t.Fatalf("%s: Close succeeded after a write error", f)
		}
		if fw.n != 1 {
			t.Errorf("%s: %d writes after the error, want none", f, fw.n-1)
		}
	}
}

func TestParseFormatAndContentType(t *testing.T) {
	t.Parallel()
	for _, f := range allFormats {
		got, err := export.ParseFormat(strings.ToUpper(string(f)))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
		if f.ContentType() == "application/octet-stream" {
			t.Errorf("%s has no content type", f)
		}
	}
	if _, err := export.ParseFormat("xml"); !errors.Is(err, export.ErrUnknownFormat) || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("ParseFormat(xml) = %v", err)
	}
	if _, err := export.New(&bytes.Buffer{}, "xml", export.Options{}); !errors.Is(err, export.ErrUnknownFormat) {
		t.Errorf("New(xml) = %v", err)
	}
}
