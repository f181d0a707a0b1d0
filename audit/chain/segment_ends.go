package chain

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Segments returns the numbers of the segments in dir, ascending.
func Segments(dir string) ([]int, error) { return listSegments(dir) }

// SegmentPath is the file of segment n of the chain in dir.
func SegmentPath(dir string, n int) string { return segmentPath(dir, n) }

// RecordLine is a record as read from a segment, not verified.
type RecordLine struct {
	Seq     uint64
	Payload []byte
}

// ErrNoRecords is returned by SegmentEnds for a segment with no complete
// record line.
var ErrNoRecords = errors.New("audit chain: segment holds no record")

// SegmentEnds reads the first and the last record of segment n without
// reading the whole file (retention plans from them), and whether the segment
// ends with a checkpoint line (sealed). Nothing is verified: use Verify for
// that.
func SegmentEnds(dir string, n int) (first, last RecordLine, sealed bool, err error) {
	name := segmentName(n)
	f, err := os.Open(segmentPath(dir, n))
	if err != nil {
		return first, last, false, fmt.Errorf("audit chain: reading %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return first, last, false, fmt.Errorf("audit chain: reading %s: %w", name, err)
	}
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if errors.Is(err, io.EOF) {
		return first, last, false, fmt.Errorf("%w: %s", ErrNoRecords, name)
	}
	if err != nil {
		return first, last, false, fmt.Errorf("audit chain: reading %s: %w", name, err)
	}
	r, err := parseRecord(line[:len(line)-1])
	if err != nil {
		return first, last, false, fmt.Errorf("audit chain: %s line 1: %w", name, err)
	}
	first = RecordLine{Seq: r.seq, Payload: r.payload}
	last, sealed, err = lastRecord(f, fi.Size())
	if err != nil {
		return first, last, false, fmt.Errorf("audit chain: reading the end of %s: %w", name, err)
	}
	return first, last, sealed, nil
}

// lastRecord reads windows of growing size from the end of f until one holds
// a complete record line.
func lastRecord(f *os.File, size int64) (RecordLine, bool, error) {
	for window := int64(64 << 10); ; window *= 2 {
		start := max(size-window, 0)
		buf := make([]byte, size-start)
		if _, err := f.ReadAt(buf, start); err != nil {
			return RecordLine{}, false, err
		}
		body, ok := bytes.CutSuffix(buf, []byte{'\n'})
		if !ok {
			return RecordLine{}, false, errors.New("the last line is incomplete")
		}
		lines := bytes.Split(body, []byte{'\n'})
		if start > 0 {
			lines = lines[1:] // may begin mid-line
		}
		sealed := len(lines) > 0 && bytes.HasPrefix(lines[len(lines)-1], cpPrefix)
		for i := len(lines) - 1; i >= 0; i-- {
			if !bytes.HasPrefix(lines[i], recSeqPrefix) {
				continue
			}
			r, err := parseRecord(lines[i])
			if err != nil {
				return RecordLine{}, false, err
			}
			return RecordLine{Seq: r.seq, Payload: r.payload}, sealed, nil
		}
		if start == 0 {
			return RecordLine{}, false, ErrNoRecords
		}
	}
}
