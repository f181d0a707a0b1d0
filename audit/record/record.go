// Package record is the unit the audit trail's readers pass around: one event
// as written to a chain, with where it was written. The index produces records,
// exports and forwarders consume them; none of them needs to know the others.
package record

import (
	"encoding/json"
	"time"
)

// Record is one event of the trail.
type Record struct {
	// Cursor is the index's ingest position of the record: increasing in the
	// order records were indexed, stable until the index is rebuilt. Zero when
	// the record did not come from the index.
	Cursor int64 `json:"-"`
	// Writer is the process that wrote the chain (e.g. "gateway-host1",
	// "secretsd-host1"), Class its retention class ("standard", "break_glass").
	Writer string `json:"writer"`
	Class  string `json:"class"`
	// Seq is the record's sequence number in its chain.
	Seq uint64 `json:"seq"`
	// Time is the event's @timestamp.
	Time time.Time `json:"time"`
	// Event is the exact payload bytes written to the chain: one ECS JSON
	// object (package audit/event).
	Event json.RawMessage `json:"event"`
}
