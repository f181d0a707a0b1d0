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
package trail

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

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
)

// PublicKeyFile is the file in <root>/<writer>/ that holds the writer's
// checkpoint public key (raw 32 bytes, base64 standard, one line).
const PublicKeyFile = "checkpoint.pub"

// Config configures a Trail.
type Config struct {
	// Root is the trail's directory, shared by every writer on the host.
	Root string
	// Writer names this process's chains: [a-z0-9][a-z0-9._-]{0,63}.
	Writer string
	// Signer signs checkpoints and anchors; KeyID names it.
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
	// Clock stamps events that have no timestamp, checkpoints and retention.
	Clock clock.Clock
	// Registerer receives the trail's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Trail writes one process's events. Safe for concurrent use.
type Trail struct{}

// Open opens (creating) this writer's chains and writes PublicKeyFile.
func Open(cfg Config) (*Trail, error) { panic("not implemented yet") }

// Writer is the writer name.
func (t *Trail) Writer() string { panic("not implemented yet") }

// Record writes e durably before returning. e is modified (pseudonymised).
func (t *Trail) Record(ctx context.Context, e *event.Event) error { panic("not implemented yet") }

// Enqueue hands e to the writer goroutine without waiting for the disk. The
// trail owns e afterwards. Cost on the caller's goroutine: a channel send.
func (t *Trail) Enqueue(e *event.Event) error { panic("not implemented yet") }

// Flush waits until everything enqueued before the call is durable.
func (t *Trail) Flush(ctx context.Context) error { panic("not implemented yet") }

// Retain applies retention at now to this writer's chains: it plans each
// chain's deletion (retention.Plan), records an audit.retention event per
// chain with something to delete (durably, before deleting), then deletes.
func (t *Trail) Retain(ctx context.Context, now time.Time, holds []retention.Hold) ([]RetentionResult, error) {
	panic("not implemented yet")
}

// RetentionResult is what Retain did to one chain.
type RetentionResult struct {
	Class   event.Retention     `json:"class"`
	Deleted []retention.Segment `json:"deleted"`
	Held    int                 `json:"held"`
}

// Close drains the queue, closes the chains (final checkpoints) and stops.
func (t *Trail) Close() error { panic("not implemented yet") }

// ChainRef is one chain under a trail root.
type ChainRef struct {
	Writer string
	Class  event.Retention
	Dir    string
}

// ChainDir is <root>/<writer>/<class>.
func ChainDir(root, writer string, class event.Retention) string { panic("not implemented yet") }

// Chains lists every chain under root, sorted by writer then class.
func Chains(root string) ([]ChainRef, error) { panic("not implemented yet") }

// PublicKey reads writer's checkpoint public key from under root.
func PublicKey(root, writer string) (ed25519.PublicKey, error) { panic("not implemented yet") }

// LoadOrCreateSigner reads the Ed25519 private key at path (PKCS#8 PEM),
// creating it 0600 (directory 0700) when absent; concurrent callers get the
// same key.
func LoadOrCreateSigner(path string) (ed25519.PrivateKey, error) { panic("not implemented yet") }

// ChainReport is the verification of one chain.
type ChainReport struct {
	ChainRef
	chain.Report
	// Err is the first problem (a *chain.Problem) or nil. A live chain's
	// unsealed tail is not a problem here: it is counted in Report.Unsealed.
	Err error
}

// VerifyAll verifies every chain under root. trusted maps a writer to the
// key its checkpoints must verify with; a writer missing from trusted is
// verified against its PublicKeyFile.
func VerifyAll(root string, trusted map[string]ed25519.PublicKey) ([]ChainReport, error) {
	panic("not implemented yet")
}
