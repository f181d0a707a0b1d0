package export

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/portcullis/portcullis/audit/record"
)

// AppendECS appends r's event payload (one line, no newline) after checking
// that it is an ECS event: a JSON object carrying @timestamp, ecs.version and
// event.kind, category, type, action and outcome. The ECS export and the
// Elasticsearch forwarder share it.
func AppendECS(dst []byte, r record.Record) ([]byte, error) {
	var scratch bytes.Buffer
	p, err := payload(r, &scratch)
	if err != nil {
		return dst, err
	}
	if why := checkECS(p); why != "" {
		return dst, payloadError(r, why)
	}
	return append(dst, p...), nil
}

// checkECS says what required field the valid JSON object p lacks, or "".
// Keys are matched exactly, as Elasticsearch does (encoding/json's struct
// matching ignores case), and a required key given twice is refused.
func checkECS(p []byte) string {
	top, ok := members(p)
	if !ok {
		return "is not a JSON object"
	}
	ts, ecs, ev, why := top.get3("@timestamp", "ecs", "event")
	if why != "" {
		return why
	}
	var t string
	if ts == nil || json.Unmarshal(ts, &t) != nil || t == "" {
		return "lacks @timestamp"
	}
	if _, err := time.Parse(time.RFC3339Nano, t); err != nil {
		return "has an @timestamp that is not RFC 3339"
	}
	ecsm, ok := members(ecs)
	if !ok {
		return "lacks ecs.version"
	}
	version, _, _, why := ecsm.get3("version", "", "")
	if why != "" {
		return "ecs." + why
	}
	if !nonEmptyString(version) {
		return "lacks ecs.version"
	}
	evm, ok := members(ev)
	if !ok {
		return "lacks the event object"
	}
	kind, action, outcome, why := evm.get3("kind", "action", "outcome")
	if why != "" {
		return "event." + why
	}
	category, typ, _, why := evm.get3("category", "type", "")
	if why != "" {
		return "event." + why
	}
	switch {
	case !nonEmptyString(kind):
		return "lacks event.kind"
	case !nonEmptyKeywords(category):
		return "lacks event.category"
	case !nonEmptyKeywords(typ):
		return "lacks event.type"
	case !nonEmptyString(action):
		return "lacks event.action"
	}
	switch string(outcome) {
	case `"success"`, `"failure"`, `"unknown"`:
		return ""
	case "":
		return "lacks event.outcome"
	}
	return "has an event.outcome other than success, failure or unknown"
}

// nonEmptyString: raw is a JSON string other than "".
func nonEmptyString(raw []byte) bool {
	return len(raw) > 2 && raw[0] == '"'
}

// nonEmptyKeywords accepts what Elasticsearch indexes as a keyword field: one
// string or an array of them, here with at least one value and no empty one.
func nonEmptyKeywords(raw []byte) bool {
	if nonEmptyString(raw) {
		return true
	}
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	n := 0
	i := skipSpace(raw, 1)
	for i < len(raw) && raw[i] != ']' {
		end := skipValue(raw, i)
		if !nonEmptyString(raw[i:end]) {
			return false
		}
		n++
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return n > 0
}
