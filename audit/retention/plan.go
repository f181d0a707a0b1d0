package retention

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
)

// Plan lists the segments of the chain in dir (retention class class, kept
// for periods.ExpiresAt; the zero Periods is the defaults) that may be
// deleted at now: sealed (not the segment being written), every record
// expired, no hold overlapping [From, To], and only a prefix of the chain (a
// segment is never deleted while an older one is kept). held counts the
// expired segments kept for a hold.
//
// A segment's span is read from its first and last records' @timestamp (its
// records are appended in time order, give or take the group commit's
// milliseconds). A sealed segment that cannot be read that way (no final
// checkpoint, no @timestamp) is an error rather than kept quietly: the chain
// needs looking at (chain.Verify).
func Plan(dir string, class event.Retention, periods Periods, now time.Time, holds []Hold) (due []Segment, held int, err error) {
	// A bad period could expire everything at once: delete nothing.
	if err := periods.Validate(); err != nil {
		return nil, 0, err
	}
	nums, err := chain.Segments(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("audit retention: %w", err)
	}
	if len(nums) < 2 {
		return nil, 0, nil // only the segment being written, or nothing
	}
	sealed := nums[:len(nums)-1]
	blocked := false // a hold keeps this segment and every later one
	for i, n := range sealed {
		if i > 0 && n != sealed[i-1]+1 {
			return nil, 0, fmt.Errorf("audit retention: segment %d is missing from the chain in %s; run verify", n-1, dir)
		}
		seg, err := readSegment(dir, n)
		if err != nil {
			return nil, 0, err
		}
		if periods.ExpiresAt(class, seg.To).After(now) {
			break
		}
		if blocked || heldByAny(holds, seg) {
			blocked = true
			held++
			continue
		}
		due = append(due, seg)
	}
	return due, held, nil
}

// heldByAny reports whether a hold covers part of seg's span.
func heldByAny(holds []Hold, seg Segment) bool {
	for _, h := range holds {
		if (h.From.IsZero() || !h.From.After(seg.To)) && (h.To.IsZero() || !h.To.Before(seg.From)) {
			return true
		}
	}
	return false
}

// readSegment reads segment n's seq range and time span.
func readSegment(dir string, n int) (Segment, error) {
	first, last, sealed, err := chain.SegmentEnds(dir, n)
	if err != nil {
		return Segment{}, fmt.Errorf("audit retention: %w", err)
	}
	if !sealed {
		return Segment{}, fmt.Errorf("audit retention: segment %d is not sealed (it does not end with a checkpoint); run verify", n)
	}
	from, err := timestamp(first.Payload)
	if err != nil {
		return Segment{}, fmt.Errorf("audit retention: segment %d, seq %d: %w", n, first.Seq, err)
	}
	to, err := timestamp(last.Payload)
	if err != nil {
		return Segment{}, fmt.Errorf("audit retention: segment %d, seq %d: %w", n, last.Seq, err)
	}
	if to.Before(from) {
		from, to = to, from
	}
	return Segment{Num: n, FirstSeq: first.Seq, LastSeq: last.Seq, From: from, To: to}, nil
}

// timestamp decodes only the payload's "@timestamp".
func timestamp(payload []byte) (time.Time, error) {
	var v struct {
		Timestamp *time.Time `json:"@timestamp"`
	}
	if err := json.Unmarshal(payload, &v); err != nil {
		return time.Time{}, fmt.Errorf("payload does not decode: %w", err)
	}
	if v.Timestamp == nil {
		return time.Time{}, errors.New("payload has no @timestamp")
	}
	return v.Timestamp.UTC(), nil
}
