// Package export writes audit records as a stream in five formats: a JSON
// array, JSON Lines, CSV, Splunk HEC and ECS NDJSON. Writers hold one record
// at a time, so an export of any size runs in constant memory.
package export

import (
	"errors"
	"io"

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

// ParseFormat parses a format name.
func ParseFormat(s string) (Format, error) { panic("not implemented yet") }

// ContentType is the media type of f.
func (f Format) ContentType() string { panic("not implemented yet") }

// Columns are the CSV columns, in order: flattened ECS fields plus the
// chain position.
var Columns []string

// Options tune the HEC envelope.
type Options struct {
	Host       string // HEC "host"
	Source     string // HEC "source", default "portcullis"
	SourceType string // HEC "sourcetype", default "portcullis:audit"
	Index      string // HEC "index", omitted when empty
}

// Writer writes records in one format. Close completes the document (the
// JSON array's "]", the CSV flush) but does not close the underlying writer.
type Writer interface {
	Write(r record.Record) error
	Close() error
}

// New returns a Writer of f on w.
func New(w io.Writer, f Format, opts Options) (Writer, error) { panic("not implemented yet") }

// HECEvent encodes one record as a Splunk HEC event envelope (no newline),
// shared by the HEC export and the HEC forwarder.
func HECEvent(dst []byte, r record.Record, opts Options) ([]byte, error) {
	panic("not implemented yet")
}
