// Package index is the query side of the audit trail: a SQLite database that
// indexes every chain under a trail root (all writers, all classes) and can be
// deleted and rebuilt from the chain files at any time. The files stay the
// source of truth; the index holds a copy of each payload plus the columns the
// filters need.
package index

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/audit/record"
	"github.com/portcullis/portcullis/internal/clock"
)

// Limits of a query page.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

var (
	// ErrBadFilter wraps every filter/page parameter error; the message names
	// the parameter.
	ErrBadFilter = errors.New("audit index: bad query")
	// ErrKeyChanged is returned by Sync when a writer's public key differs
	// from the one pinned when the writer was first indexed.
	ErrKeyChanged = errors.New("audit index: a writer's checkpoint key changed")
)

// Options configure an Index.
type Options struct {
	// Path is the SQLite file (created 0600).
	Path string
	// Root is the trail root whose chains are indexed.
	Root  string
	Clock clock.Clock
}

// Index is safe for concurrent use.
type Index struct{}

// Open opens (creating) the index.
func Open(ctx context.Context, opts Options) (*Index, error) { panic("not implemented yet") }

// Close closes the database.
func (ix *Index) Close() error { panic("not implemented yet") }

// SyncReport says what one Sync did.
type SyncReport struct {
	Added   int // records indexed
	Removed int // records dropped because retention deleted their segment
}

// Sync indexes what was appended to any chain since the last Sync (new
// writers, new classes, new segments, growth of the current segment; a torn
// last line is left for next time), drops the rows of segments that retention
// deleted, and pins each writer's public key on first sight.
func (ix *Index) Sync(ctx context.Context) (SyncReport, error) { panic("not implemented yet") }

// Run calls Sync every interval until ctx ends.
func (ix *Index) Run(ctx context.Context, every time.Duration) { panic("not implemented yet") }

// Rebuild empties the index and indexes every chain from the start.
func (ix *Index) Rebuild(ctx context.Context) error { panic("not implemented yet") }

// TrustedKeys returns the pinned public key of every writer seen.
func (ix *Index) TrustedKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	panic("not implemented yet")
}

// Filter selects events. Zero fields do not filter; every set field must match.
type Filter struct {
	From, To  time.Time // @timestamp in [From, To)
	Actions   []string  // event.action, any of
	Outcome   string    // event.outcome
	Actors    []string  // user.id pseudonyms, any of (several: one per pseudonym key)
	Sources   []string  // source.ip (truncated) or portcullis.source_ip_hash, any of
	Resource  string    // portcullis.resource.id, or url.path for gateway requests
	RequestID string    // portcullis.request_id
	Text      string    // substring of the event JSON, case-insensitive
	Writer    string
}

// ParseFilter reads a Filter from query parameters: from, to (RFC 3339),
// action (repeatable or comma-separated, each in the catalogue), outcome
// (success|failure|unknown), actor (repeatable), source (repeatable),
// resource, request_id, q (free text), writer. Unknown parameters other than
// cursor, limit and format are an error. Each value is bounded in length.
func ParseFilter(q url.Values) (Filter, error) { panic("not implemented yet") }

// ParsePage reads cursor (opaque, from Result.Next) and limit (1..MaxLimit,
// default DefaultLimit).
func ParsePage(q url.Values) (cursor string, limit int, err error) { panic("not implemented yet") }

// Result is one page, newest first.
type Result struct {
	Records []record.Record
	// Next is the cursor of the next page, "" when this is the last.
	Next string
}

// Query returns one page of matching records, newest first.
func (ix *Index) Query(ctx context.Context, f Filter, cursor string, limit int) (Result, error) {
	panic("not implemented yet")
}

// Scan calls fn for every matching record, oldest first, without holding
// them all in memory (exports). It stops at fn's first error.
func (ix *Index) Scan(ctx context.Context, f Filter, fn func(record.Record) error) error {
	panic("not implemented yet")
}

// After returns up to limit records indexed after cursor (record.Cursor), in
// ingest order: the feed of forwarders.
func (ix *Index) After(ctx context.Context, cursor int64, limit int) ([]record.Record, error) {
	panic("not implemented yet")
}
