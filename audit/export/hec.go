package export

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/audit/record"
)

// HEC envelope defaults.
const (
	DefaultHECSource     = "portcullis"
	DefaultHECSourceType = "portcullis:audit"
)

func (o Options) withDefaults() Options {
	if o.Source == "" {
		o.Source = DefaultHECSource
	}
	if o.SourceType == "" {
		o.SourceType = DefaultHECSourceType
	}
	return o
}

// HECEvent encodes one record as a Splunk HEC event envelope (no newline),
// shared by the HEC export and the HEC forwarder:
//
//	{"time":1700000000.123,"host":…,"source":…,"sourcetype":…,"index":…,
//	 "fields":{"portcullis_writer":…,"portcullis_class":…,"portcullis_seq":"…"},"event":{…}}
//
// time is epoch seconds with milliseconds, from r.Time or, when that is
// zero, the payload's @timestamp. host and index are omitted when empty. The
// indexed fields carry the chain position, so duplicates of an at-least-once
// delivery can be found in Splunk.
func HECEvent(dst []byte, r record.Record, opts Options) ([]byte, error) {
	opts = opts.withDefaults()
	var scratch bytes.Buffer
	p, err := payload(r, &scratch)
	if err != nil {
		return dst, err
	}
	t := r.Time
	if t.IsZero() {
		var head struct {
			Timestamp time.Time `json:"@timestamp"`
		}
		if json.Unmarshal(p, &head) != nil || head.Timestamp.IsZero() {
			return dst, payloadError(r, "lacks @timestamp, and the record has no time")
		}
		t = head.Timestamp
	}
	dst = append(dst, `{"time":`...)
	dst = appendEpochMillis(dst, t)
	if opts.Host != "" {
		dst = append(dst, `,"host":`...)
		dst = appendString(dst, opts.Host)
	}
	dst = append(dst, `,"source":`...)
	dst = appendString(dst, opts.Source)
	dst = append(dst, `,"sourcetype":`...)
	dst = appendString(dst, opts.SourceType)
	if opts.Index != "" {
		dst = append(dst, `,"index":`...)
		dst = appendString(dst, opts.Index)
	}
	dst = append(dst, `,"fields":{"portcullis_writer":`...)
	dst = appendString(dst, r.Writer)
	dst = append(dst, `,"portcullis_class":`...)
	dst = appendString(dst, r.Class)
	dst = append(dst, `,"portcullis_seq":"`...)
	dst = strconv.AppendUint(dst, r.Seq, 10)
	dst = append(dst, `"},"event":`...)
	dst = append(dst, p...)
	return append(dst, '}'), nil
}

// appendEpochMillis appends t as seconds since the epoch with three decimals,
// the form HEC documents for "time".
func appendEpochMillis(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	u := uint64(ms)
	if ms < 0 {
		dst = append(dst, '-')
		u = uint64(-ms) // also right for math.MinInt64, in two's complement
	}
	dst = strconv.AppendUint(dst, u/1000, 10)
	frac := u % 1000
	return append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}
