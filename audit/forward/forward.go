// Package forward ships the audit trail to external collectors: Splunk HTTP
// Event Collector and Elasticsearch/OpenSearch _bulk. Delivery is at least
// once: a batch is read after the persisted cursor, sent, and the cursor
// advances only when the collector accepted every event of it; a restart
// resumes from the cursor.
package forward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/audit/export"
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
	// (/_bulk is appended). Plain http is refused for a token unless the host
	// is a loopback address.
	URL string
	// Token: HEC token ("Authorization: Splunk <token>") or Elasticsearch
	// API key ("Authorization: ApiKey <token>"). Never logged.
	Token string
	// Index: the HEC index (omitted when empty: the token's default index) or
	// the Elasticsearch index (default "portcullis-audit").
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

// protocol is what differs between the collectors.
type protocol interface {
	header(h http.Header)
	encode(dst []byte, recs []record.Record) ([]byte, error)
	// verdict reads the collector's answer: nil only if it took every event.
	verdict(status int, body []byte, recs []record.Record) error
}

// maxResponse bounds what is read of an answer; a _bulk answer of
// MaxBatchSize items is a few MB.
const maxResponse = 32 << 20

// Forwarder sends one destination's events. Run it in its own goroutine.
type Forwarder struct {
	d      Destination
	target string
	proto  protocol
	src    Source
	cur    Cursors
	client *http.Client

	step sync.Mutex // one Step at a time
	buf  []byte     // the request body, reused

	mu     sync.Mutex
	status Status
}

// Status is a Forwarder's progress, for metrics and health checks.
type Status struct {
	Cursor    int64  // the last position delivered (as loaded or saved)
	Delivered uint64 // events delivered since New
	Failures  int    // consecutive failed steps
	LastError string // of the last failed step, "" after a success
}

// New checks d and returns its Forwarder.
func New(d Destination, src Source, cur Cursors) (*Forwarder, error) {
	if src == nil || cur == nil {
		return nil, fmt.Errorf("%w %q: no source or no cursors", ErrDestination, d.Name)
	}
	u, err := d.checked()
	if err != nil {
		return nil, err
	}
	f := &Forwarder{d: d, target: u.String(), src: src, cur: cur}
	switch d.Kind {
	case SplunkHEC:
		f.proto = hec{token: d.Token, opts: export.Options{Index: d.Index}}
	case Elasticsearch:
		f.proto = newBulk(d.Token, d.Index)
	}
	f.client = &http.Client{
		Transport: http.DefaultTransport,
		// A redirect would carry the batch (and, to the same host, the
		// token) somewhere not configured: treat it as a failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f, nil
}

// Step sends at most one batch; it reports how many events were delivered.
// On a failed delivery the cursor stays, and the error says why.
func (f *Forwarder) Step(ctx context.Context) (int, error) {
	f.step.Lock()
	defer f.step.Unlock()
	n, cursor, err := f.deliver(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		err = f.redact(err)
		f.status.Failures++
		f.status.LastError = err.Error()
		return 0, err
	}
	f.status.Cursor = cursor
	f.status.Delivered += uint64(n)
	f.status.Failures = 0
	f.status.LastError = ""
	return n, nil
}

func (f *Forwarder) deliver(ctx context.Context) (n int, cursor int64, err error) {
	cursor, err = f.cur.Load(f.d.Name)
	if err != nil {
		return 0, 0, f.errorf("loading the cursor: %w", err)
	}
	recs, err := f.src.After(ctx, cursor, f.d.BatchSize)
	if err != nil {
		return 0, cursor, f.errorf("reading the trail after %d: %w", cursor, err)
	}
	if len(recs) == 0 {
		return 0, cursor, nil
	}
	if len(recs) > f.d.BatchSize {
		recs = recs[:f.d.BatchSize]
	}
	// Saving a cursor that does not move forward would resend, or skip, forever.
	prev := cursor
	for _, r := range recs {
		if r.Cursor <= prev {
			return 0, cursor, f.errorf("the source returned cursor %d after %d", r.Cursor, prev)
		}
		prev = r.Cursor
	}
	f.buf, err = f.proto.encode(f.buf[:0], recs)
	if err != nil {
		return 0, cursor, f.errorf("%w", err)
	}
	if err := f.post(ctx, recs); err != nil {
		return 0, cursor, err
	}
	if err := f.cur.Save(f.d.Name, prev); err != nil {
		// Delivered but not recorded: the next step sends the batch again,
		// which at-least-once allows.
		return 0, cursor, f.errorf("saving the cursor: %w", err)
	}
	return len(recs), prev, nil
}

func (f *Forwarder) post(ctx context.Context, recs []record.Record) error {
	ctx, cancel := context.WithTimeout(ctx, f.d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.target, bytes.NewReader(f.buf))
	if err != nil {
		return f.errorf("%w", err)
	}
	f.proto.header(req.Header)
	resp, err := f.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already
		}
		return f.errorf("sending %d events: %w", len(recs), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return f.errorf("reading the answer: %w", err)
	}
	if len(body) > maxResponse {
		return f.errorf("the answer is larger than %d bytes", maxResponse)
	}
	if err := f.proto.verdict(resp.StatusCode, body, recs); err != nil {
		return f.errorf("%d events not delivered: %w", len(recs), err)
	}
	return nil
}

func (f *Forwarder) errorf(format string, args ...any) error {
	return fmt.Errorf("audit forward %s (%s to %s): %w", f.d.Name, f.d.Kind, f.target, fmt.Errorf(format, args...))
}

// redact drops the token from an error should anything (a collector echoing
// the header, a transport error) have put it there.
func (f *Forwarder) redact(err error) error {
	if f.d.Token == "" || !strings.Contains(err.Error(), f.d.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), f.d.Token, "[REDACTED]"))
}

// Status returns the Forwarder's progress.
func (f *Forwarder) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// maxBackoff caps the wait after consecutive errors.
const maxBackoff = time.Minute

// Run calls Step until ctx ends: at once while batches are full, every poll
// interval when idle, with exponential backoff (capped at a minute) after errors.
// Errors are in Status.
func (f *Forwarder) Run(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = time.Second
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		n, err := f.Step(ctx)
		var wait time.Duration
		switch {
		case err != nil:
			backoff = min(max(2*backoff, poll), maxBackoff)
			wait = backoff
		case n == f.d.BatchSize:
			backoff = 0
			continue // more is waiting
		default:
			backoff = 0
			wait = poll
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
}
