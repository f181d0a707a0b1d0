package chain

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
)

// Kinds of problem Verify reports; match them with errors.Is.
var (
	ErrMalformed          = errors.New("malformed line")
	ErrHashMismatch       = errors.New("record hash mismatch (record changed)")
	ErrRemoved            = errors.New("record missing (removed)")
	ErrReordered          = errors.New("record out of order (reordered)")
	ErrChainBroken        = errors.New("prev does not match the previous line")
	ErrBadSignature       = errors.New("checkpoint signature does not verify")
	ErrCheckpointMismatch = errors.New("checkpoint does not match the chain")
	ErrMissingSegment     = errors.New("segment missing")
	ErrTruncated          = errors.New("segment truncated")
	ErrTornWrite          = errors.New("torn write at the tail")
	ErrUnsealed           = errors.New("records after the last checkpoint (unsealed tail)")
)

// Problem is the first thing wrong with a chain. It is an error that wraps
// its Kind.
type Problem struct {
	// Kind is one of the Err* values above.
	Kind error
	// Seq is the sequence number of the record concerned (for a checkpoint,
	// the record it covers; for a removed record, the one expected).
	Seq uint64
	// File is the segment file name, Line its 1-based line number.
	File string
	Line int
	// Offset is the byte offset of that line in File.
	Offset int64
	// Detail says more, for people.
	Detail string
}

func (p *Problem) Error() string {
	s := fmt.Sprintf("audit chain: %v at seq %d (%s:%d)", p.Kind, p.Seq, p.File, p.Line)
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

func (p *Problem) Unwrap() error { return p.Kind }

// Report summarises a verified chain.
type Report struct {
	Segments    int
	Records     uint64
	Checkpoints int
	// LastSeq is the seq of the last intact record (0 for an empty chain).
	LastSeq uint64
	// Unsealed is the number of records after the last checkpoint.
	Unsealed uint64
	// Anchor is the chain's anchor when its oldest segments were deleted by
	// retention (nil when none was): the counts above start after it.
	Anchor *Anchor
	// Problem is the first problem found, nil if the chain is intact; Verify
	// returns it as its error too.
	Problem *Problem
}

// Verify checks every segment of the chain in dir against pub and reports
// the first problem (see the package comment for the kinds). The error is a
// *Problem for a damaged chain, or an I/O error.
func Verify(dir string, pub ed25519.PublicKey) (Report, error) {
	var rep Report
	nums, err := listSegments(dir)
	if err != nil {
		return rep, err
	}
	anchor, err := ReadAnchor(dir, pub)
	if err != nil {
		if p, ok := err.(*Problem); ok {
			rep.Problem = p
		}
		return rep, err
	}
	s := scanner{pub: pub, expectSeq: 1, prev: zeroPrev, known: true}
	first := 1
	if anchor != nil {
		// Segments below the anchor are what a retention run that stopped
		// half way left behind; the signed anchor already vouches for the
		// chain without them.
		rep.Anchor = anchor
		first, s.expectSeq, s.prev = anchor.Segment, anchor.Seq+1, anchor.Prev
		for len(nums) > 0 && nums[0] < first {
			nums = nums[1:]
		}
		if len(nums) == 0 {
			rep.Problem = &Problem{Kind: ErrMissingSegment, Seq: s.expectSeq, File: segmentName(first), Line: 1,
				Detail: "the anchor names it as the chain's first segment"}
		}
	}
	for i, n := range nums {
		name := segmentName(n)
		if (i == 0 && n != first) || (i > 0 && n != nums[i-1]+1) {
			missing := segmentName(n - 1)
			detail := fmt.Sprintf("next present segment is %s", name)
			if i == 0 {
				missing = segmentName(first)
				if anchor == nil {
					detail += "; no anchor says earlier segments were deleted"
				}
			}
			rep.Problem = &Problem{Kind: ErrMissingSegment, Seq: s.expectSeq, File: missing, Line: 1, Detail: detail}
			break
		}
		data, err := os.ReadFile(segmentPath(dir, n))
		if err != nil {
			return rep, fmt.Errorf("reading audit chain segment: %w", err)
		}
		rep.Segments++
		if p := s.scan(name, data, i == len(nums)-1); p != nil {
			rep.Problem = p
			break
		}
	}
	rep.Records, rep.Checkpoints, rep.LastSeq = s.records, s.checkpoints, s.expectSeq-1
	if rep.Problem == nil && s.unsealed > 0 {
		rep.Problem = &Problem{Kind: ErrUnsealed, Seq: s.expectSeq - s.unsealed, File: s.lastFile, Line: s.lastLine,
			Detail: fmt.Sprintf("%d records after the last checkpoint; the writer is running, crashed, or the tail was cut", s.unsealed)}
	}
	rep.Unsealed = s.unsealed
	if rep.Problem != nil {
		return rep, rep.Problem
	}
	return rep, nil
}

// scanner walks lines in chain order and keeps the chain state.
type scanner struct {
	pub ed25519.PublicKey
	// known is false when scanning starts mid-chain (Open reads only the last
	// segment): the first line then sets seq and prev.
	known bool

	expectSeq      uint64 // seq of the next record
	prev           string // hash of the previous line
	lastRecordHash string // hash of the last record line
	lastWasCP      bool
	unsealed       uint64
	records        uint64
	checkpoints    int
	lastFile       string
	lastLine       int
	// tailOffset is the offset just after the last complete line scanned.
	tailOffset int64
}

// scan checks one segment. last says whether it is the chain's last segment.
func (s *scanner) scan(name string, data []byte, last bool) *Problem {
	var lines [][]byte
	var offsets []int64
	off := 0
	for off < len(data) {
		j := bytes.IndexByte(data[off:], '\n')
		if j < 0 {
			break
		}
		lines = append(lines, data[off:off+j])
		offsets = append(offsets, int64(off))
		off += j + 1
	}
	s.tailOffset = 0
	for i, line := range lines {
		p := s.line(line, lines[i+1:])
		if p != nil {
			p.File, p.Line, p.Offset = name, i+1, offsets[i]
			return p
		}
		s.lastFile, s.lastLine = name, i+1
		s.tailOffset = offsets[i] + int64(len(line)) + 1
	}
	if off < len(data) { // bytes after the last "\n"
		p := &Problem{Kind: ErrTornWrite, Seq: s.expectSeq, File: name, Line: len(lines) + 1, Offset: int64(off),
			Detail: fmt.Sprintf("%d bytes without a final newline", len(data)-off)}
		if !last {
			p.Kind = ErrTruncated
			p.Detail = "segment ends mid-line"
		}
		return p
	}
	if !last && !s.lastWasCP {
		return &Problem{Kind: ErrTruncated, Seq: s.expectSeq, File: name, Line: len(lines) + 1, Offset: int64(len(data)),
			Detail: "closed segment does not end with a checkpoint"}
	}
	return nil
}

// line checks one complete line; rest are the lines after it in its segment,
// used only to tell a removed record from a reordered one.
func (s *scanner) line(line []byte, rest [][]byte) *Problem {
	switch {
	case bytes.HasPrefix(line, recSeqPrefix):
		r, err := parseRecord(line)
		if err != nil {
			return &Problem{Kind: ErrMalformed, Seq: s.expectSeq, Detail: err.Error()}
		}
		if recordHash(r.seq, r.prev, r.payload) != r.hash {
			return &Problem{Kind: ErrHashMismatch, Seq: s.expectSeq}
		}
		if err := checkPayload(r.payload); err != nil {
			return &Problem{Kind: ErrMalformed, Seq: s.expectSeq, Detail: err.Error()}
		}
		if !s.known {
			s.known, s.expectSeq, s.prev = true, r.seq, r.prev
		}
		if r.seq != s.expectSeq {
			kind := ErrRemoved
			if r.seq < s.expectSeq || laterHasSeq(rest, s.expectSeq) {
				kind = ErrReordered
			}
			return &Problem{Kind: kind, Seq: s.expectSeq, Detail: fmt.Sprintf("found seq %d", r.seq)}
		}
		if r.prev != s.prev {
			return &Problem{Kind: ErrChainBroken, Seq: s.expectSeq, Detail: "a line before it was removed or replaced"}
		}
		s.prev = lineHash(line)
		s.lastRecordHash = s.prev
		s.expectSeq++
		s.records++
		s.unsealed++
		s.lastWasCP = false
	case bytes.HasPrefix(line, cpPrefix):
		covers := s.expectSeq - 1
		cp, err := parseCheckpoint(line, s.pub)
		if errors.Is(err, errSignature) {
			return &Problem{Kind: ErrBadSignature, Seq: covers}
		}
		if err != nil {
			return &Problem{Kind: ErrMalformed, Seq: covers, Detail: err.Error()}
		}
		if !s.known {
			// Mid-chain start on a checkpoint: trust its signed seq and hash.
			s.known, s.expectSeq, s.lastRecordHash = true, cp.Seq+1, cp.Hash
			covers = cp.Seq
		}
		if s.records == 0 && s.lastRecordHash == "" {
			return &Problem{Kind: ErrCheckpointMismatch, Seq: covers, Detail: "checkpoint before any record"}
		}
		if cp.Seq > covers {
			// A validly signed checkpoint ahead of the chain: records before
			// it were removed.
			return &Problem{Kind: ErrRemoved, Seq: s.expectSeq,
				Detail: fmt.Sprintf("next checkpoint covers seq %d", cp.Seq)}
		}
		if cp.Seq != covers || cp.Hash != s.lastRecordHash {
			return &Problem{Kind: ErrCheckpointMismatch, Seq: covers,
				Detail: fmt.Sprintf("checkpoint says seq %d", cp.Seq)}
		}
		s.prev = lineHash(line)
		s.checkpoints++
		s.unsealed = 0
		s.lastWasCP = true
	default:
		seq := s.expectSeq
		if bytes.Contains(line, []byte(`"checkpoint":`)) || bytes.Contains(line, cpSigSep) {
			seq-- // a damaged checkpoint: name the record it covers
		}
		return &Problem{Kind: ErrMalformed, Seq: seq, Detail: "neither a record nor a checkpoint"}
	}
	return nil
}

// laterHasSeq reports whether a later record line carries seq.
func laterHasSeq(lines [][]byte, seq uint64) bool {
	for _, l := range lines {
		if r, err := parseRecord(l); err == nil && r.seq == seq {
			return true
		}
	}
	return false
}
