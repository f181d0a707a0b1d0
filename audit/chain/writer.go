package chain

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
)

// Defaults for zero Options fields.
const (
	DefaultSegmentBytes       = 64 << 20
	DefaultCheckpointEvery    = 4096
	DefaultCheckpointInterval = 10 * time.Second
)

var (
	// ErrClosed is returned by Append after Close.
	ErrClosed = errors.New("audit chain: writer closed")
	// ErrBrokenTail is returned by Open when the chain's last segment is damaged.
	ErrBrokenTail = errors.New("audit chain: refusing to append to a broken chain")
	// ErrInvalidPayload is returned by Append for a payload that is not one
	// JSON object on one line.
	ErrInvalidPayload = errors.New("audit chain: invalid payload")
)

// Options configure a Writer.
type Options struct {
	// Signer signs checkpoints. Required.
	Signer ed25519.PrivateKey
	// KeyID names Signer in every checkpoint, so verifiers can pick the key.
	KeyID string
	// SegmentBytes is the size at which the current segment is sealed and the
	// next record starts a new one. Default 64 MiB.
	SegmentBytes int64
	// CheckpointEvery writes a checkpoint after this many records. Default
	// 4096; negative disables the count trigger.
	CheckpointEvery int
	// CheckpointInterval writes a checkpoint when records have waited this
	// long since the last one (checked at each commit and on a timer of the
	// same period). Default 10s; negative disables the time trigger.
	CheckpointInterval time.Duration
	// Clock stamps checkpoints and drives the interval. Default clock.System.
	Clock clock.Clock
}

// Writer appends records to one chain. It is safe for concurrent use: a
// single committer goroutine gathers the pending Appends into one write and
// one fsync (group commit).
type Writer struct {
	dir  string
	opts Options

	mu       sync.RWMutex // guards closed against sends on reqs
	closed   bool
	reqs     chan *request
	stop     chan struct{}
	done     chan struct{}
	closeErr error

	// Owned by the committer goroutine (and by Open before it starts).
	f           *os.File
	segNum      int
	segSize     int64
	seq         uint64 // last seq written
	prev        string // hash of the last line
	lastRecHash string // hash of the last record line
	sinceCP     int    // records since the last checkpoint
	lastCP      time.Time
	buf         []byte
	err         error // sticky: once a write fails, the chain state is unknown
}

type request struct {
	payloads [][]byte
	first    uint64
	err      error
	done     chan struct{}
}

// Open opens the chain in dir (created if missing) for appending, resuming
// after its last record. A torn last line (crash mid-write, never
// acknowledged) is cut off; any other damage to the last segment makes Open
// fail with ErrBrokenTail and the *Problem naming the seq.
func Open(dir string, opts Options) (*Writer, error) {
	if len(opts.Signer) != ed25519.PrivateKeySize {
		return nil, errors.New("audit chain: options: Signer must be an Ed25519 private key")
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.CheckpointEvery == 0 {
		opts.CheckpointEvery = DefaultCheckpointEvery
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = DefaultCheckpointInterval
	}
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit chain: creating %s: %w", dir, err)
	}
	w := &Writer{
		dir: dir, opts: opts, prev: zeroPrev,
		reqs: make(chan *request, 4096), stop: make(chan struct{}), done: make(chan struct{}),
		lastCP: opts.Clock.Now(),
	}
	if err := w.resume(); err != nil {
		return nil, err
	}
	go w.commitLoop()
	return w, nil
}

// resume loads the chain state from the last non-empty segment, or from the
// anchor when retention deleted every segment before the one to write next.
func (w *Writer) resume() error {
	pub := w.opts.Signer.Public().(ed25519.PublicKey)
	anchor, err := ReadAnchor(w.dir, pub)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBrokenTail, err)
	}
	nums, err := listSegments(w.dir)
	if err != nil {
		return err
	}
	// Trailing empty segments come from a crash right after a roll; drop them
	// so the (possibly unsealed) previous one is continued.
	for len(nums) > 0 {
		n := nums[len(nums)-1]
		fi, err := os.Stat(segmentPath(w.dir, n))
		if err != nil {
			return fmt.Errorf("audit chain: %w", err)
		}
		if fi.Size() > 0 {
			break
		}
		if err := os.Remove(segmentPath(w.dir, n)); err != nil {
			return fmt.Errorf("audit chain: removing empty segment: %w", err)
		}
		nums = nums[:len(nums)-1]
	}
	if anchor != nil && (len(nums) == 0 || nums[len(nums)-1] < anchor.Segment) {
		// Nothing written since the anchor (segments below it are being
		// deleted): the first Append creates the anchor's segment.
		w.segNum, w.seq, w.prev = anchor.Segment-1, anchor.Seq, anchor.Prev
		return nil
	}
	if len(nums) == 0 {
		return nil // new chain; the first Append creates segment 1
	}
	n := nums[len(nums)-1]
	path := segmentPath(w.dir, n)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("audit chain: reading last segment: %w", err)
	}
	s := startScanner(pub, n, anchor)
	size := int64(len(data))
	if p := s.scan(segmentName(n), data, true); p != nil {
		if !errors.Is(p, ErrTornWrite) {
			return fmt.Errorf("%w: %w", ErrBrokenTail, p)
		}
		size = p.Offset
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("audit chain: opening last segment: %w", err)
	}
	if size != int64(len(data)) {
		if err := f.Truncate(size); err != nil {
			f.Close()
			return fmt.Errorf("audit chain: cutting torn tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("audit chain: cutting torn tail: %w", err)
		}
	}
	if _, err := f.Seek(size, 0); err != nil {
		f.Close()
		return fmt.Errorf("audit chain: %w", err)
	}
	w.f, w.segNum, w.segSize = f, n, size
	if s.known {
		w.seq, w.prev, w.lastRecHash = s.expectSeq-1, s.prev, s.lastRecordHash
	}
	w.sinceCP = int(s.unsealed)
	startKnown := n == 1 || (anchor != nil && n == anchor.Segment)
	if !s.known || (s.records == 0 && s.checkpoints == 0 && !startKnown) {
		// A non-first segment that holds no complete line: take the state
		// from the end of the previous one.
		return w.resumeFromPrevious(nums, anchor)
	}
	return nil
}

// startScanner returns a scanner for segment n: knowing the chain state at
// its start when it is the first segment or the anchor's, learning it from
// the first line otherwise.
func startScanner(pub ed25519.PublicKey, n int, anchor *Anchor) scanner {
	s := scanner{pub: pub, known: n == 1, expectSeq: 1, prev: zeroPrev}
	if anchor != nil && n == anchor.Segment {
		s.known, s.expectSeq, s.prev = true, anchor.Seq+1, anchor.Prev
	}
	return s
}

// resumeFromPrevious handles a last segment emptied by cutting its torn line.
func (w *Writer) resumeFromPrevious(nums []int, anchor *Anchor) error {
	last := nums[len(nums)-1]
	if len(nums) < 2 || nums[len(nums)-2] != last-1 {
		return fmt.Errorf("%w: %w", ErrBrokenTail, &Problem{Kind: ErrMissingSegment, File: segmentName(last - 1), Line: 1,
			Detail: fmt.Sprintf("%s is empty and the segment before it is missing", segmentName(last))})
	}
	n := nums[len(nums)-2]
	data, err := os.ReadFile(segmentPath(w.dir, n))
	if err != nil {
		return fmt.Errorf("audit chain: reading segment: %w", err)
	}
	s := startScanner(w.opts.Signer.Public().(ed25519.PublicKey), n, anchor)
	if p := s.scan(segmentName(n), data, false); p != nil {
		return fmt.Errorf("%w: %w", ErrBrokenTail, p)
	}
	w.seq, w.prev, w.lastRecHash, w.sinceCP = s.expectSeq-1, s.prev, s.lastRecordHash, 0
	return nil
}

// Append writes payloads as consecutive records and returns the seq of the
// first once they are durable (fsynced). Each payload must be one JSON object
// with no line breaks. Concurrent Appends share one write and one fsync.
func (w *Writer) Append(payloads [][]byte) (firstSeq uint64, err error) {
	return w.append(payloads, checkPayload)
}

// AppendTrusted is Append for payloads whose encoder guarantees valid JSON
// (the trail's own, which tests hold byte-identical to encoding/json): it
// checks only the framing a record line depends on (one object, braces at
// both ends, no line break, see checkFraming) and skips the full JSON parse,
// which otherwise costs more CPU than hashing and writing the record. A
// payload that frames but does not parse is still written, and Verify then
// reports it as malformed: so only an encoder of JSON may call this.
func (w *Writer) AppendTrusted(payloads [][]byte) (firstSeq uint64, err error) {
	return w.append(payloads, checkFraming)
}

func (w *Writer) append(payloads [][]byte, check func([]byte) error) (uint64, error) {
	if len(payloads) == 0 {
		return 0, nil
	}
	for i, p := range payloads {
		if err := check(p); err != nil {
			return 0, fmt.Errorf("%w: payload %d: %v", ErrInvalidPayload, i, err)
		}
	}
	r := &request{payloads: payloads, done: make(chan struct{})}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return 0, ErrClosed
	}
	w.reqs <- r
	w.mu.RUnlock()
	<-r.done
	return r.first, r.err
}

// Close commits what is pending, writes a final checkpoint, syncs and closes
// the segment. Appends after Close fail with ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return w.closeErr
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	return w.closeErr
}
