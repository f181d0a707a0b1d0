// Package index is the query side of the audit trail: a SQLite database that
// indexes every chain under a trail root (all writers, all classes) and can be
// deleted and rebuilt from the chain files at any time. The files stay the
// source of truth; the index holds a copy of each payload plus the columns the
// filters need.
package index

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
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
	Root string
	// Clock stamps key pins. Default clock.System.
	Clock clock.Clock
	// OnSync, when set, is called by Run after every Sync with its report
	// and error (the place to log them and to count them in a metric).
	OnSync func(SyncReport, error)
}

// Index is safe for concurrent use.
type Index struct {
	opts   Options
	reads  *sql.DB // query_only pool
	writes *sql.DB // one connection

	// syncMu makes Sync and Rebuild take turns: each reads a chain from the
	// position the previous one stored.
	syncMu sync.Mutex
}

type chainName struct{ writer, class string }

// Open opens (creating) the index.
func Open(ctx context.Context, opts Options) (*Index, error) {
	if opts.Root == "" {
		return nil, errors.New("audit index: options: Root is required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	reads, writes, err := openDB(ctx, opts.Path)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, writes); err != nil {
		reads.Close()
		writes.Close()
		return nil, err
	}
	return &Index{opts: opts, reads: reads, writes: writes}, nil
}

// Close closes the database.
func (ix *Index) Close() error {
	return errors.Join(ix.reads.Close(), ix.writes.Close())
}

// SyncReport says what one Sync did.
type SyncReport struct {
	Added   int // records indexed
	Removed int // records dropped because retention deleted their segment
}

// Sync indexes what was appended to any chain since the last Sync (new
// writers, new classes, new segments, growth of the current segment; a torn
// last line is left for next time), drops the rows of segments that retention
// deleted, and pins each writer's public key on first sight.
//
// A problem with one chain or writer (a malformed line, named by file:line; a
// changed key, ErrKeyChanged) stops that chain or writer and is returned,
// joined with the others, after every other chain has been indexed. A
// malformed line is not skipped: the chain stays at it, so the index never
// silently lacks a record that the files hold.
func (ix *Index) Sync(ctx context.Context) (SyncReport, error) {
	ix.syncMu.Lock()
	defer ix.syncMu.Unlock()
	return ix.sync(ctx)
}

// Run calls Sync every interval until ctx ends.
func (ix *Index) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := ix.Sync(ctx)
		if ctx.Err() != nil {
			return
		}
		if ix.opts.OnSync != nil {
			ix.opts.OnSync(rep, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Rebuild empties the index and indexes every chain from the start.
//
// The pinned writer keys survive: a Rebuild reads the same files again and
// must not become a way to get a replaced checkpoint.pub accepted. A key that
// was changed on purpose is accepted by deleting the index file.
func (ix *Index) Rebuild(ctx context.Context) error {
	ix.syncMu.Lock()
	defer ix.syncMu.Unlock()
	tx, err := ix.writes.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit index: rebuild: %w", err)
	}
	defer tx.Rollback()
	for _, stmt := range []string{"DELETE FROM events", "DELETE FROM segments", "DELETE FROM chains"} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("audit index: rebuild: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit index: rebuild: %w", err)
	}
	_, err = ix.sync(ctx)
	return err
}

// TrustedKeys returns the pinned public key of every writer seen.
func (ix *Index) TrustedKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	rows, err := ix.reads.QueryContext(ctx, "SELECT writer, public_key FROM writers")
	if err != nil {
		return nil, fmt.Errorf("audit index: reading pinned keys: %w", err)
	}
	defer rows.Close()
	keys := map[string]ed25519.PublicKey{}
	for rows.Next() {
		var (
			w   string
			key []byte
		)
		if err := rows.Scan(&w, &key); err != nil {
			return nil, fmt.Errorf("audit index: reading pinned keys: %w", err)
		}
		keys[w] = ed25519.PublicKey(key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit index: reading pinned keys: %w", err)
	}
	return keys, nil
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
func ParseFilter(q url.Values) (Filter, error) { return parseFilter(q) }

// ParsePage reads cursor (opaque, from Result.Next) and limit (1..MaxLimit,
// default DefaultLimit).
func ParsePage(q url.Values) (cursor string, limit int, err error) { return parsePage(q) }

// Result is one page, newest first.
type Result struct {
	Records []record.Record
	// Next is the cursor of the next page, "" when this is the last.
	Next string
}

// Query returns one page of matching records, newest first. A limit of 0 or
// less means DefaultLimit, one above MaxLimit means MaxLimit.
func (ix *Index) Query(ctx context.Context, f Filter, cursor string, limit int) (Result, error) {
	return ix.query(ctx, f, cursor, limit)
}

// Scan calls fn for every matching record, oldest first, without holding
// them all in memory (exports). It stops at fn's first error.
func (ix *Index) Scan(ctx context.Context, f Filter, fn func(record.Record) error) error {
	return ix.scan(ctx, f, fn)
}

// After returns up to limit records indexed after cursor (record.Cursor), in
// ingest order: the feed of forwarders. limit is bounded as in Query.
func (ix *Index) After(ctx context.Context, cursor int64, limit int) ([]record.Record, error) {
	return ix.after(ctx, cursor, limit)
}
