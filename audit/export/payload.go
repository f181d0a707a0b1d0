package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/portcullis/portcullis/audit/record"
)

// ErrPayload is wrapped by every error about a record's event payload.
var ErrPayload = errors.New("payload")

// payloadError names the record whose payload is refused.
func payloadError(r record.Record, why string) error {
	return fmt.Errorf("audit export: record %s/%s#%d: %w %s", r.Writer, r.Class, r.Seq, ErrPayload, why)
}

// payload returns r's event bytes as one line, checked to be a JSON object so
// a corrupt payload cannot break the document around it. Payloads from the
// chain are compact and come back as they are; only one with a raw line break
// or trailing space (valid JSON, but it would split an NDJSON line) is
// compacted, into scratch.
func payload(r record.Record, scratch *bytes.Buffer) ([]byte, error) {
	p := r.Event
	if len(p) == 0 {
		return nil, payloadError(r, "is empty")
	}
	if p[0] != '{' || !json.Valid(p) {
		return nil, payloadError(r, "is not a JSON object")
	}
	if p[len(p)-1] == '}' && bytes.IndexByte(p, '\n') < 0 && bytes.IndexByte(p, '\r') < 0 {
		return p, nil
	}
	scratch.Reset()
	if err := json.Compact(scratch, p); err != nil {
		return nil, payloadError(r, "is not a JSON object")
	}
	return scratch.Bytes(), nil
}

// appendRecordObject appends {"writer":…,"class":…,"seq":…,"event":<payload>}.
func appendRecordObject(dst []byte, r record.Record) ([]byte, error) {
	var scratch bytes.Buffer
	p, err := payload(r, &scratch)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `{"writer":`...)
	dst = appendString(dst, r.Writer)
	dst = append(dst, `,"class":`...)
	dst = appendString(dst, r.Class)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, r.Seq, 10)
	dst = append(dst, `,"event":`...)
	dst = append(dst, p...)
	return append(dst, '}'), nil
}
