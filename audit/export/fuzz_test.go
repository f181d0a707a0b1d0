package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"testing"

	"github.com/portcullis/portcullis/audit/export"
	"github.com/portcullis/portcullis/audit/record"
)

// FuzzCSV puts arbitrary strings in the event's text fields and the chain
// position: the CSV always parses back with the full column count, and no
// data cell starts with a formula character.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{"=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)", "\t=x", "\r\n=x", "a,b", `"q"`, "\x00", "\xff", "line\nbreak", "ok"} {
		f.Add(s, s, "gateway")
	}
	f.Fuzz(func(t *testing.T, a, b, writer string) {
		e := sampleEvent(0)
		e.Event.Reason = a
		e.User.ID = b
		e.User.Roles = []string{a, b}
		e.URL.Path = a + b
		e.Portcullis.Details = map[string]string{a: b}
		r := recordOf(t, e, 7)
		r.Writer, r.Class = writer, a
		var buf bytes.Buffer
		w, _ := export.New(&buf, export.CSV, export.Options{})
		if err := w.Write(r); err != nil {
			t.Fatalf("a valid event was refused: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rd := csv.NewReader(&buf)
		rd.FieldsPerRecord = len(export.Columns)
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v", err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows, want header and one", len(rows))
		}
		for i, c := range rows[1] {
			if c != "" && bytes.IndexByte([]byte("=+-@\t\r"), c[0]) >= 0 {
				t.Fatalf("cell %s starts with a formula character: %q", export.Columns[i], c)
			}
		}
	})
}

// FuzzFormats writes arbitrary payload bytes in every format: never a panic;
// either an error and nothing written, or a valid document.
func FuzzFormats(f *testing.F) {
	good, _ := json.Marshal(sampleEvent(0))
	for _, s := range []string{string(good), "{}", `{"a":[1,2,{"b":null}]}`, "{\n}", "{} ", "[]", `"s"`, "", "{", `{"@timestamp":1}`, `{"event":{"category":"x"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		r := record.Record{Writer: "w", Class: "standard", Seq: 1, Time: t0, Event: payload}
		for _, format := range allFormats {
			var buf bytes.Buffer
			w, err := export.New(&buf, format, export.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(r); err != nil {
				if !errors.Is(err, export.ErrPayload) {
					t.Fatalf("%s: error %v is not a payload error", format, err)
				}
				if buf.Len() != 0 {
					t.Fatalf("%s: refused payload partly written: %q", format, buf.Bytes())
				}
				continue
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if n := countRecords(t, format, buf.Bytes()); n != 1 {
				t.Fatalf("%s: %d records, want 1:\n%s", format, n, buf.Bytes())
			}
		}
	})
}
