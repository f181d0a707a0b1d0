// Package retention deletes what the trail may no longer keep: whole sealed
// segments of a chain whose every record is past its class's retention
// (event.Retention.ExpiresAt, calendar arithmetic), unless a legal hold covers
// any part of them. Before deleting, it writes a signed anchor (see
// chain.WriteAnchor) so the shortened chain still verifies from its new
// first segment. The caller audits the deletion before calling Delete.
package retention

import (
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/portcullis/portcullis/audit/event"
)

// ErrNotFound is returned for an unknown hold id.
var ErrNotFound = errors.New("audit retention: no such legal hold")

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

// Holds stores legal holds as files under <root>/holds/, so every writing
// process on the host sees them. Safe for concurrent use.
type Holds struct{}

// OpenHolds opens the hold store of the trail rooted at root.
func OpenHolds(root string) (*Holds, error) { panic("not implemented yet") }

// Place stores h, giving it an id when empty; Reason is required.
func (h *Holds) Place(hold Hold) (Hold, error) { panic("not implemented yet") }

// Release removes the hold; ErrNotFound when absent.
func (h *Holds) Release(id string) error { panic("not implemented yet") }

// List returns the holds, oldest first.
func (h *Holds) List() ([]Hold, error) { panic("not implemented yet") }

// Segment is one sealed segment due for deletion.
type Segment struct {
	Num      int       `json:"num"`
	FirstSeq uint64    `json:"first_seq"`
	LastSeq  uint64    `json:"last_seq"`
	From     time.Time `json:"from"` // first record's @timestamp
	To       time.Time `json:"to"`   // last record's @timestamp
}

// Plan lists the segments of the chain in dir (retention class class) that may
// be deleted at now: sealed (not the segment being written), every record
// expired, no hold overlapping [From, To], and only a prefix of the chain (a
// segment is never deleted while an older one is kept). held counts the
// expired segments kept for a hold.
func Plan(dir string, class event.Retention, now time.Time, holds []Hold) (due []Segment, held int, err error) {
	panic("not implemented yet")
}

// Delete writes the signed anchor after the last segment of due, then removes
// the segments. due must come from Plan on the same chain.
func Delete(dir string, due []Segment, signer ed25519.PrivateKey, keyID string) error {
	panic("not implemented yet")
}
