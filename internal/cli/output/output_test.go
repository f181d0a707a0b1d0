package output_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/cli/output"
)

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]output.Format{"table": output.FormatTable, "JSON": output.FormatJSON, " json ": output.FormatJSON} {
		if got, err := output.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "yaml", "wide"} {
		if _, err := output.ParseFormat(in); err == nil || !strings.Contains(err.Error(), "want table or json") {
			t.Errorf("ParseFormat(%q) error = %v", in, err)
		}
	}
}

func TestTableAlignsColumnsAndMarksEmptyCells(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := output.Table(&buf, []string{"ID", "NAME", "ROLE"}, [][]string{
		{"u1", "alice", "Admin"},
		{"u22222", "", "Viewer"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID      NAME   ROLE\n" +
		"u1      alice  Admin\n" +
		"u22222  -      Viewer\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestCellsCannotBreakTheTableOrDriveTheTerminal(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"tab becomes a space", "a\tb", "a b"},
		{"newline becomes a space", "a\nb", "a b"},
		{"escape sequence is defused", "\x1b[31mred", "[31mred"},
		{"blank is a dash", "  ", "-"},
		{"unicode stays", "Zoë 🔑", "Zoë 🔑"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := output.Cell(tc.in); got != tc.want {
				t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestKeyValues(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := output.KeyValues(&buf, []output.Field{{"USERNAME", "alice"}, {"ROLE", "Admin"}, {"GROUPS", ""}}); err != nil {
		t.Fatal(err)
	}
	want := "USERNAME  alice\nROLE      Admin\nGROUPS    -\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestJSONIsIndentedAndUnescaped(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := output.JSON(&buf, map[string]any{"a": "<b>&", "n": 1}); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": \"<b>&\",\n  \"n\": 1\n}\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestTimeBoolList(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 5, 6, 7, 8, 9, 500, time.FixedZone("CEST", 2*3600))
	if got := output.Time(at); got != "2030-05-06T05:08:09Z" {
		t.Errorf("Time = %q", got)
	}
	if output.Time(time.Time{}) != "" || output.Bool(true) != "yes" || output.Bool(false) != "no" || output.List([]string{"a", "b"}) != "a,b" {
		t.Error("zero time, Bool or List")
	}
}
