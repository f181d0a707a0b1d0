package forward_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/forward"
	"github.com/portcullis/portcullis/audit/record"
	"github.com/portcullis/portcullis/internal/clock"
)

// memSource is the feed in memory: records with cursors 1..n.
type memSource struct {
	mu   sync.Mutex
	recs []record.Record
	err  error
	// onAfter, when set, is told each cursor read after (under mu).
	onAfter func(cursor int64)
}

func newSource(t testing.TB, n int) *memSource {
	t.Helper()
	s := &memSource{}
	s.add(t, n)
	return s
}

// add appends n records, alternating between two writers' chains.
func (s *memSource) add(t testing.TB, n int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for range n {
		c := int64(len(s.recs) + 1)
		e := event.New(event.AuthLogin, event.Success, clock.NewManual(t0.Add(time.Duration(c)*time.Millisecond)))
		e.User = &event.User{ID: "u-pseudonym"}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		writer := []string{"gateway-host1", "secretsd-host1"}[c%2]
		s.recs = append(s.recs, record.Record{Cursor: c, Writer: writer, Class: "standard", Seq: uint64(c/2 + 1), Time: e.Timestamp, Event: b})
	}
}

func (s *memSource) After(_ context.Context, cursor int64, limit int) ([]record.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onAfter != nil {
		s.onAfter(cursor)
	}
	if s.err != nil {
		return nil, s.err
	}
	var out []record.Record
	for _, r := range s.recs {
		if r.Cursor > cursor && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *memSource) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *memSource) all() []record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]record.Record(nil), s.recs...)
}

func cursors(t testing.TB, dir string) forward.Cursors {
	t.Helper()
	c, err := forward.FileCursors(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadCursor(t testing.TB, c forward.Cursors, name string) int64 {
	t.Helper()
	n, err := c.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newForwarder(t testing.TB, d forward.Destination, src forward.Source, cur forward.Cursors) *forward.Forwarder {
	t.Helper()
	f, err := forward.New(d, src, cur)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// drain calls Step until it delivers nothing; it fails the test on an error.
func drain(t testing.TB, f *forward.Forwarder) (steps, total int) {
	t.Helper()
	for {
		n, err := f.Step(context.Background())
		if err != nil {
			t.Fatalf("Step: %v", err)
		}
		if n == 0 {
			return steps, total
		}
		steps++
		total += n
	}
}

var errFeed = errors.New("index is being rebuilt")
