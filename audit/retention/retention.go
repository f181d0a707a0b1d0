// Package retention deletes what the trail may no longer keep: whole sealed
// segments of a chain whose every record is past its class's retention
// period (Periods, configurable per class; by default
// event.Retention.ExpiresAt's; calendar arithmetic), unless a legal hold
// covers any part of them. Before deleting, it writes a signed anchor (see
// chain.WriteAnchor) so the shortened chain still verifies from its new
// first segment. The caller audits the deletion before calling Delete.
package retention

import (
	"errors"
	"time"
)

// ErrNotFound is returned for an unknown hold id.
var ErrNotFound = errors.New("audit retention: no such legal hold")

// ErrBadHold is returned by Place for a hold that is not valid, and by List
// for a hold file that does not parse.
var ErrBadHold = errors.New("audit retention: bad legal hold")

// Hold is a legal hold: while it exists, no segment holding a record with a
// timestamp in [From, To] is deleted. Zero From/To are unbounded.
type Hold struct {
	ID        string    `json:"id"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by,omitempty"` // a pseudonym
	CreatedAt time.Time `json:"created_at"`
	From      time.Time `json:"from,omitzero"`
	To        time.Time `json:"to,omitzero"`
}

// Segment is one sealed segment due for deletion.
type Segment struct {
	Num      int       `json:"num"`
	FirstSeq uint64    `json:"first_seq"`
	LastSeq  uint64    `json:"last_seq"`
	From     time.Time `json:"from"` // first record's @timestamp
	To       time.Time `json:"to"`   // last record's @timestamp
}
