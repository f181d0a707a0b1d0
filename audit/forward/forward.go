// Package forward ships the audit trail to external collectors: Splunk HTTP
// Event Collector and Elasticsearch/OpenSearch _bulk. Delivery is at least
// once: a batch is read after the persisted cursor, sent, and the cursor
// advances only when the collector accepted every event of it; a restart
// resumes from the cursor.
package forward

import (
	"context"
	"time"

	"github.com/portcullis/portcullis/audit/record"
)

// Kinds of destination.
const (
	SplunkHEC     = "splunk_hec"
	Elasticsearch = "elasticsearch"
)

// Destination is one collector.
type Destination struct {
	// Name identifies the destination and its cursor: [a-z0-9_-]{1,64}.
	Name string
	Kind string
	// URL: for HEC the collector base (…/services/collector/event is
	// appended when the path is empty), for Elasticsearch the cluster URL
	// (/_bulk is appended).
	URL string
	// Token: HEC token ("Authorization: Splunk <token>") or Elasticsearch
	// API key ("Authorization: ApiKey <token>"). Never logged.
	Token string
	// Index: the HEC index or the Elasticsearch index (default "portcullis-audit").
	Index string
	// BatchSize events per request, default 500. Timeout per request, default 10s.
	BatchSize int
	Timeout   time.Duration
}

// Source is the feed (audit/index.Index satisfies it).
type Source interface {
	After(ctx context.Context, cursor int64, limit int) ([]record.Record, error)
}

// Cursors persists each destination's position.
type Cursors interface {
	Load(name string) (int64, error)
	Save(name string, cursor int64) error
}

// FileCursors keeps each cursor in <dir>/<name>.cursor, written atomically
// (temporary file, fsync, rename).
func FileCursors(dir string) (Cursors, error) { panic("not implemented yet") }

// Forwarder sends one destination's events. Run it in its own goroutine.
type Forwarder struct{}

// New checks d and returns its Forwarder.
func New(d Destination, src Source, cur Cursors) (*Forwarder, error) { panic("not implemented yet") }

// Step sends at most one batch; it reports how many events were delivered.
// On a failed delivery the cursor stays, and the error says why.
func (f *Forwarder) Step(ctx context.Context) (int, error) { panic("not implemented yet") }

// Run calls Step until ctx ends: at once while batches are full, every poll
// interval when idle, with exponential backoff (capped at a minute) after errors.
func (f *Forwarder) Run(ctx context.Context, poll time.Duration) { panic("not implemented yet") }
