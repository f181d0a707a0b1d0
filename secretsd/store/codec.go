package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeCol scans a time column of either dialect: INTEGER microseconds
// (SQLite), TIMESTAMPTZ (PostgreSQL), or NULL (the zero time).
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("store: scanning a time from %T", src)
	}
	return nil
}

func scanTime(t *time.Time) timeCol { return timeCol{t} }

// listCol scans a JSON text column holding a list of strings. An empty list
// comes back as nil.
type listCol struct{ l *[]string }

func (c listCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*c.l = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("store: scanning a list from %T", src)
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("store: decoding a list column: %w", err)
	}
	if len(l) == 0 {
		l = nil
	}
	*c.l = l
	return nil
}

func scanList(l *[]string) listCol { return listCol{l} }

// list encodes a list of strings as JSON text; nil is "[]".
func list(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// optBytes is a nullable blob: empty is NULL.
func optBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
