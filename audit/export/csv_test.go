package export_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/export"
)

// parseCSV parses doc strictly: every row has len(Columns) cells.
func parseCSV(t testing.TB, doc []byte) [][]string {
	t.Helper()
	rd := csv.NewReader(bytes.NewReader(doc))
	rd.FieldsPerRecord = len(export.Columns)
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, doc)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], export.Columns) {
		t.Fatalf("CSV header = %v, want Columns", rows)
	}
	return rows[1:]
}

func cell(row []string, column string) string {
	return row[slices.Index(export.Columns, column)]
}

func TestCSVFlattensTheEventIntoTheFixedColumns(t *testing.T) {
	t.Parallel()
	r := recordOf(t, sampleEvent(0), 42)
	rows := parseCSV(t, exportDoc(t, export.CSV, export.Options{}, r))
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	row := rows[0]
	want := map[string]string{
		"@timestamp":                "2026-03-01T12:00:00.123Z",
		"event.code":                event.AuthLogin.CodeFor(event.Failure),
		"event.kind":                "event",
		"event.action":              "auth.login",
		"event.outcome":             "failure",
		"event.reason":              "bad password",
		"event.category":            "authentication|session",
		"event.type":                "start",
		"event.duration":            "1500000",
		"user.id":                   "u-pseudonym",
		"user.roles":                "Admin|Auditor",
		"source.ip":                 "192.0.2.0",
		"portcullis.source_ip_hash": "h-abc",
		"http.request.method":       "POST",
		"http.response.status_code": "401",
		"http.response.body.bytes":  "0",
		"url.path":                  "/v1/login",
		"portcullis.request_id":     "req-1",
		"portcullis.policy_ids":     "policy0|policy1",
		"portcullis.resource.type":  "user",
		"portcullis.details":        `{"factor":"password","note":"a,b \"c\""}`,
		"portcullis.token_id":       "",
		"writer":                    "gateway-host1",
		"class":                     "standard",
		"seq":                       "42",
	}
	for col, v := range want {
		if got := cell(row, col); got != v {
			t.Errorf("%s = %q, want %q", col, got, v)
		}
	}
	if cell(row, "event.id") == "" {
		t.Error("event.id is empty")
	}
}

func TestCSVNeutralisesFormulaCells(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, value, want string
	}{
		{"DDE command", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"plus", "+1", "'+1"},
		{"minus", "-2", "'-2"},
		{"at function", "@SUM(1)", "'@SUM(1)"},
		{"tab then formula", "\t=x", "'\t=x"},
		{"carriage return then formula", "\r=x", "'\r=x"},
		{"plain word untouched", "alice", "alice"},
		{"formula char later untouched", "a=b+c-d@e", "a=b+c-d@e"},
		{"space first untouched", " =x", " =x"},
		{"empty untouched", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := sampleEvent(0)
			e.Event.Reason = tc.value
			e.User.Name = tc.value
			e.URL.Path = tc.value
			e.Portcullis.Resource.ID = tc.value
			r := recordOf(t, e, 1)
			r.Writer = tc.value
			rows := parseCSV(t, exportDoc(t, export.CSV, export.Options{}, r))
			for _, col := range []string{"event.reason", "user.name", "url.path", "portcullis.resource.id", "writer"} {
				if got := cell(rows[0], col); got != tc.want {
					t.Errorf("%s = %q, want %q", col, got, tc.want)
				}
			}
		})
	}
}

func TestCSVNegativeNumberIsNeutralisedToo(t *testing.T) {
	t.Parallel()
	e := sampleEvent(0)
	e.Event.Duration = -5
	rows := parseCSV(t, exportDoc(t, export.CSV, export.Options{}, recordOf(t, e, 1)))
	if got := cell(rows[0], "event.duration"); got != "'-5" {
		t.Errorf("event.duration = %q, want '-5", got)
	}
}

func TestCSVManyRecordsKeepTheColumnCount(t *testing.T) {
	t.Parallel()
	recs := sampleRecords(t, 50)
	recs[3].Event = []byte(`{"event":{"action":"minimal"}}`) // sparse events leave cells empty
	rows := parseCSV(t, exportDoc(t, export.CSV, export.Options{}, recs...))
	if len(rows) != 50 || cell(rows[3], "event.action") != "minimal" || cell(rows[3], "user.id") != "" {
		t.Fatalf("rows: %d, row 3: %v", len(rows), rows[3])
	}
}

func TestCSVRefusesAPayloadOfTheWrongShape(t *testing.T) {
	t.Parallel()
	r := sampleRecords(t, 1)[0]
	r.Event = []byte(`{"event":{"duration":"long"}}`)
	var buf bytes.Buffer
	w, _ := export.New(&buf, export.CSV, export.Options{})
	if err := w.Write(r); err == nil {
		t.Fatal("a payload with a string duration was written")
	}
	if buf.Len() != 0 {
		t.Fatalf("partly written: %q", buf.String())
	}
}
