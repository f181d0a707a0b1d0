// Package output prints the portcullis CLI's results: aligned tables for
// people (the default) or the API's JSON objects, indented, for scripts.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// Format is how results are printed.
type Format string

// The formats of -o.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
)

// ParseFormat reads the value of -o.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatTable, FormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("-o %q: want table or json", s)
}

// JSON writes v indented, with a final newline. HTML characters are not
// escaped: the output is for terminals and jq, not for browsers.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Table writes a header row and rows, columns aligned by text/tabwriter.
// Cells are cleaned to one line (see Cell); an empty cell prints as "-" so
// that columns stay readable and splittable by whitespace.
func Table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	writeRow(tw, header)
	for _, r := range rows {
		writeRow(tw, r)
	}
	return tw.Flush()
}

// Field is one line of a KeyValues listing.
type Field struct {
	Key   string
	Value string
}

// KeyValues writes one "KEY  value" line per field, values aligned: the
// table form of a single object.
func KeyValues(w io.Writer, fields []Field) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		writeRow(tw, []string{f.Key, f.Value})
	}
	return tw.Flush()
}

func writeRow(w io.Writer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(w, "\t")
		}
		io.WriteString(w, Cell(c))
	}
	io.WriteString(w, "\n")
}

// Cell makes a value safe for one table cell: control characters and tabs
// (which would break the alignment, or drive the terminal when the value
// came from the server) become spaces; empty becomes "-".
func Cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	if s = strings.TrimSpace(s); s == "" {
		return "-"
	}
	return s
}

// Time formats a time for a table: RFC 3339 in UTC, to the second; the zero
// time (never used, never expires) is empty.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// List joins values with commas.
func List(vs []string) string { return strings.Join(vs, ",") }

// Bool is "yes" or "no".
func Bool(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
