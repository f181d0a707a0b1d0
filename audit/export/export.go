// Package export writes audit records as a stream in five formats: a JSON
// array, JSON Lines, CSV, Splunk HEC and ECS NDJSON. Writers hold one record
// at a time, so an export of any size runs in constant memory.
package export

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/portcullis/portcullis/audit/record"
)

// Format is an export format.
type Format string

// The formats.
const (
	JSON  Format = "json"  // one JSON array of records {writer,class,seq,event}
	JSONL Format = "jsonl" // one record object per line
	CSV   Format = "csv"   // Columns, one row per event; formula cells neutralised
	HEC   Format = "hec"   // Splunk HEC event envelopes, concatenated, one per line
	ECS   Format = "ecs"   // the ECS event objects alone, one per line (NDJSON)
)

// ErrUnknownFormat is returned by ParseFormat.
var ErrUnknownFormat = errors.New("audit export: unknown format (want json, jsonl, csv, hec or ecs)")

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("audit export: writer is closed")

// ParseFormat parses a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case JSON, JSONL, CSV, HEC, ECS:
		return f, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownFormat, s)
}

// ContentType is the media type of f.
func (f Format) ContentType() string {
	switch f {
	case JSON, HEC:
		// HEC's concatenated envelopes are what the collector's JSON endpoint takes.
		return "application/json"
	case JSONL:
		return "application/jsonl"
	case CSV:
		return "text/csv; charset=utf-8"
	case ECS:
		return "application/x-ndjson"
	}
	return "application/octet-stream"
}

// Options tune the HEC envelope.
type Options struct {
	Host       string // HEC "host", omitted when empty (the collector then uses the sender's)
	Source     string // HEC "source", default "portcullis"
	SourceType string // HEC "sourcetype", default "portcullis:audit"
	Index      string // HEC "index", omitted when empty
}

// Writer writes records in one format. Close completes the document (the
// JSON array's "]", the CSV flush) but does not close the underlying writer.
//
// A record that cannot be written (its payload is not a JSON object, or lacks
// what the format needs) is refused with an error and nothing of it is
// written; the writer stays usable. An error of the underlying writer sticks.
type Writer interface {
	Write(r record.Record) error
	Close() error
}

// New returns a Writer of f on w.
func New(w io.Writer, f Format, opts Options) (Writer, error) {
	switch f {
	case JSON:
		return &arrayWriter{out: out{w: w}}, nil
	case JSONL:
		return &linesWriter{out: out{w: w}, line: appendRecordObject}, nil
	case ECS:
		return &linesWriter{out: out{w: w}, line: AppendECS}, nil
	case HEC:
		opts = opts.withDefaults()
		return &linesWriter{out: out{w: w}, line: func(dst []byte, r record.Record) ([]byte, error) {
			return HECEvent(dst, r, opts)
		}}, nil
	case CSV:
		return newCSVWriter(w), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownFormat, string(f))
}
