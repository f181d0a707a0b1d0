package index

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// The index reads chain lines tolerantly: it is not the verifier (that is
// chain.Verify, which checks every byte and hash). It needs the seq and the
// payload of a record line, and skips checkpoint lines.

var (
	recordPrefix     = []byte(`{"seq":`)
	payloadSep       = []byte(`,"payload":`)
	checkpointPrefix = []byte(`{"checkpoint":`)
)

// lineKind tells what parseLine found.
type lineKind int

const (
	lineRecord lineKind = iota
	lineCheckpoint
)

// indexedRecord is a record line with the columns taken from its payload.
type indexedRecord struct {
	seq       uint64
	ts        int64 // @timestamp, unix nanoseconds
	action    string
	outcome   string
	actor     string
	sourceIP  string
	srcHash   string
	resource  string
	requestID string
	payload   string // the exact payload bytes
}

// parseLine parses one line (without its "\n").
func parseLine(line []byte) (lineKind, indexedRecord, error) {
	var r indexedRecord
	if bytes.HasPrefix(line, checkpointPrefix) {
		return lineCheckpoint, r, nil
	}
	rest, ok := bytes.CutPrefix(line, recordPrefix)
	if !ok {
		return 0, r, errors.New("neither a record nor a checkpoint")
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	seq, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil || seq == 0 {
		return 0, r, errors.New("bad seq")
	}
	r.seq = seq
	j := bytes.Index(rest[i:], payloadSep)
	if j < 0 || rest[len(rest)-1] != '}' {
		return 0, r, errors.New("no payload")
	}
	payload := rest[i+j+len(payloadSep) : len(rest)-1]
	if err := r.extract(payload); err != nil {
		return 0, r, err
	}
	r.payload = string(payload)
	return lineRecord, r, nil
}

// ecsColumns is the part of an ECS event the index has columns for.
type ecsColumns struct {
	Timestamp string `json:"@timestamp"`
	Event     struct {
		Action  string `json:"action"`
		Outcome string `json:"outcome"`
	} `json:"event"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Source struct {
		IP string `json:"ip"`
	} `json:"source"`
	URL struct {
		Path string `json:"path"`
	} `json:"url"`
	Portcullis struct {
		RequestID    string `json:"request_id"`
		SourceIPHash string `json:"source_ip_hash"`
		Resource     struct {
			ID string `json:"id"`
		} `json:"resource"`
	} `json:"portcullis"`
}

// extract fills the columns from the payload.
func (r *indexedRecord) extract(payload []byte) error {
	if len(payload) < 2 || payload[0] != '{' {
		return errors.New("payload is not a JSON object")
	}
	var c ecsColumns
	if err := json.Unmarshal(payload, &c); err != nil {
		return errors.New("payload is not a JSON object of the event model: " + err.Error())
	}
	t, err := time.Parse(time.RFC3339Nano, c.Timestamp)
	if err != nil {
		return errors.New("payload has no valid @timestamp")
	}
	r.ts = unixNanos(t)
	r.action, r.outcome = c.Event.Action, c.Event.Outcome
	r.actor = c.User.ID
	r.sourceIP, r.srcHash = c.Source.IP, c.Portcullis.SourceIPHash
	r.resource = c.Portcullis.Resource.ID
	if r.resource == "" {
		r.resource = c.URL.Path
	}
	r.requestID = c.Portcullis.RequestID
	return nil
}

// The int64 nanosecond range, for times out of it (a filter's year 1 or 9999).
var (
	minNanoTime = time.Unix(0, -1<<63)
	maxNanoTime = time.Unix(0, 1<<63-1)
)

// unixNanos is t as unix nanoseconds, clamped to the int64 range.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return -1 << 63
	case t.After(maxNanoTime):
		return 1<<63 - 1
	}
	return t.UnixNano()
}
