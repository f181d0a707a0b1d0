// Package trail is a process's audit writer: it routes each event to the
// chain of its retention class under <root>/<writer>/<class>/, pseudonymises
// it (audit/pseudo), seals its personal values (audit/shred), and appends it
// (audit/chain). Each writing process (each gateway instance, each secretsd
// node) owns its own chains; readers (audit/index) merge them.
//
// Two ways in:
//   - Record, for privileged actions: durable (fsynced) before it returns, so
//     the caller performs the action only once it is on disk; an error means
//     the action must fail.
//   - Enqueue, for per-request events: a non-blocking hand-off to a bounded
//     queue that a writer goroutine drains in batches (group commit). When the
//     queue is full it returns ErrQueueFull (fail closed: the gateway answers
//     503) unless Config.FailOpen, which drops the event and counts it.
//     Reserve/EnqueueReserved split that in two, so a caller can take the
//     event's place before doing the work the event describes, and refuse
//     the work when there is none.
package trail

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/audit/shred"
	"github.com/portcullis/portcullis/internal/clock"
)

var (
	// ErrQueueFull is returned by Enqueue when the queue is full and the
	// trail fails closed.
	ErrQueueFull = errors.New("audit trail: queue full")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("audit trail: closed")
	// ErrUnknownAction is returned for an event whose action is not in the catalogue.
	ErrUnknownAction = errors.New("audit trail: action not in the catalogue")
	// ErrBroken is returned by Enqueue, Record and Flush once a write has
	// failed: the chain's state on disk is unknown, so the trail refuses
	// events (fail closed) until the process restarts and reopens it.
	ErrBroken = errors.New("audit trail: broken by an earlier write error")
	// ErrWriterBusy is returned by Open when another Trail (in this process or
	// another) has the writer's directory open.
	ErrWriterBusy = errors.New("audit trail: writer directory in use")
)

// DefaultQueueSize is Config.QueueSize's default.
const DefaultQueueSize = 65536

// PublicKeyFile is the file in <root>/<writer>/ that holds the writer's
// checkpoint public key (raw 32 bytes, base64 standard, one line).
const PublicKeyFile = "checkpoint.pub"

// Config configures a Trail.
type Config struct {
	// Root is the trail's directory, shared by every writer on the host.
	Root string
	// Writer names this process's chains: [a-z0-9][a-z0-9._-]{0,63}.
	Writer string
	// Signer signs checkpoints and anchors; KeyID names it (default: Writer).
	Signer ed25519.PrivateKey
	KeyID  string
	// Pseudonymizer pseudonymises user and source fields. Required.
	Pseudonymizer *pseudo.Pseudonymizer
	// Keys, when set, seals user.name and the full source address into
	// portcullis.personal under the subject's key (subject: the user.id
	// pseudonym; events without a user are not sealed).
	Keys *shred.Keys
	// QueueSize bounds Enqueue's queue. Default 65536.
	QueueSize int
	// FailOpen drops events when the queue is full instead of refusing them.
	FailOpen bool
	// Chain tunes the chains (segment size, checkpoint period); Signer, KeyID
	// and Clock are filled from this Config.
	Chain chain.Options
	// Retention is how long each class's events are kept (Retain). A zero
	// field is the class's default: 365 days standard, 7 years break-glass.
	Retention retention.Periods
	// Clock stamps events that have no timestamp, checkpoints and retention.
	Clock clock.Clock
	// Registerer receives the trail's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Trail writes one process's events. Safe for concurrent use.
type Trail struct {
	cfg     Config
	dir     string // <root>/<writer>
	classes []event.Retention
	chains  []*chain.Writer // by class index
	// sourceModes are the pseudonymisation modes of source.ip and
	// source.address, read once: Enqueue checks up front what the writer
	// goroutine would fail on, so an accepted event is never lost to a
	// malformed address.
	ipMode, addrMode pseudo.Mode
	// nameMode is user.name's: a dropped name is not sealed either.
	nameMode pseudo.Mode
	m        *metrics
	unlock   func() error

	mu     sync.RWMutex // guards closed against sends on q
	closed bool
	q      chan item
	// places counts the events in q plus the places reserved for events to
	// come (Reserve); it never exceeds QueueSize, so a reserved event always
	// finds room in q, whose capacity leaves flushSlack more for markers.
	places atomic.Int64
	broken atomic.Pointer[error]
	done   chan struct{} // closed when the writer goroutines have stopped

	// hold, when set (tests only), is received from before each batch, so a
	// test can stop the writer goroutine and fill the queue.
	hold chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating) this writer's chains and writes PublicKeyFile. It
// fails with ErrWriterBusy while another Trail has the writer open.
func Open(cfg Config) (*Trail, error) { return open(cfg, nil) }

// open is Open with the tests' hold on the writer goroutine.
func open(cfg Config, hold chan struct{}) (*Trail, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	t := &Trail{cfg: cfg, dir: filepath.Join(cfg.Root, cfg.Writer), classes: retentionClasses(),
		ipMode: cfg.Pseudonymizer.Mode(pseudo.FieldSourceIP), addrMode: cfg.Pseudonymizer.Mode(pseudo.FieldSourceAddress),
		nameMode: cfg.Pseudonymizer.Mode(pseudo.FieldUserName)}
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit trail: creating %s: %w", t.dir, err)
	}
	unlock, err := lockWriter(t.dir)
	if err != nil {
		return nil, err
	}
	t.unlock = unlock
	if err := writePublicKey(t.dir, cfg.Signer.Public().(ed25519.PublicKey)); err != nil {
		_ = unlock()
		return nil, err
	}
	opts := cfg.Chain
	opts.Signer, opts.KeyID, opts.Clock = cfg.Signer, cfg.KeyID, cfg.Clock
	for _, class := range t.classes {
		w, err := chain.Open(ChainDir(cfg.Root, cfg.Writer, class), opts)
		if err != nil {
			for _, w := range t.chains {
				_ = w.Close()
			}
			_ = unlock()
			return nil, fmt.Errorf("audit trail: opening the %s chain of %s: %w", class, cfg.Writer, err)
		}
		t.chains = append(t.chains, w)
	}
	t.q = make(chan item, cfg.QueueSize+flushSlack)
	t.m = newMetrics(cfg.Registerer, cfg.Writer, t.classes, t.q)
	t.done = make(chan struct{})
	t.hold = hold
	go t.run()
	return t, nil
}

func checkConfig(cfg *Config) error {
	if err := checkWriter(cfg.Writer); err != nil {
		return err
	}
	if cfg.Root == "" {
		return errors.New("audit trail: config: Root is required")
	}
	if len(cfg.Signer) != ed25519.PrivateKeySize {
		return errors.New("audit trail: config: Signer must be an Ed25519 private key")
	}
	if cfg.Pseudonymizer == nil {
		return errors.New("audit trail: config: Pseudonymizer is required")
	}
	if cfg.QueueSize < 0 {
		return fmt.Errorf("audit trail: config: QueueSize %d is negative", cfg.QueueSize)
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.KeyID == "" {
		cfg.KeyID = cfg.Writer
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	return nil
}

// Writer is the writer name.
func (t *Trail) Writer() string { return t.cfg.Writer }

// Close drains the queue, closes the chains (final checkpoints) and stops.
// Enqueue, Record and Flush return ErrClosed afterwards.
func (t *Trail) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed = true
		close(t.q) // no sender holds the read lock any more
		t.mu.Unlock()
		<-t.done
		var errs []error
		for _, w := range t.chains {
			errs = append(errs, w.Close())
		}
		errs = append(errs, t.unlock())
		t.closeErr = errors.Join(errs...)
		if t.closeErr != nil {
			t.closeErr = fmt.Errorf("audit trail: closing %s: %w", t.cfg.Writer, t.closeErr)
		}
	})
	return t.closeErr
}

// ChainRef is one chain under a trail root.
type ChainRef struct {
	Writer string
	Class  event.Retention
	Dir    string
}

// ChainReport is the verification of one chain.
type ChainReport struct {
	ChainRef
	chain.Report
	// Err is the first problem (a *chain.Problem) or nil. A live chain's
	// unsealed tail is not a problem here: it is counted in Report.Unsealed.
	Err error
}
