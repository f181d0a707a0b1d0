package audit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/trail"
)

// fakeSink is the trail as the handler sees it: it keeps what it is given,
// and refuses events while full is set.
type fakeSink struct {
	mu       sync.Mutex
	events   []*event.Event
	full     bool
	reserved int // places taken and not yet used
}

func (s *fakeSink) Enqueue(e *event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full {
		return trail.ErrQueueFull
	}
	s.events = append(s.events, e)
	return nil
}

func (s *fakeSink) Record(_ context.Context, e *event.Event) error { return s.Enqueue(e) }

func (s *fakeSink) Reserve() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full {
		return trail.ErrQueueFull
	}
	s.reserved++
	return nil
}

func (s *fakeSink) EnqueueReserved(e *event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reserved == 0 {
		return errors.New("EnqueueReserved without a reserved place")
	}
	s.reserved--
	s.events = append(s.events, e)
	return nil
}

func (s *fakeSink) Unreserve() {
	s.mu.Lock()
	s.reserved--
	s.mu.Unlock()
}

func (s *fakeSink) setFull(full bool) {
	s.mu.Lock()
	s.full = full
	s.mu.Unlock()
}

func (s *fakeSink) taken() []*event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.events
	s.events = nil
	return out
}

var errNotCalled = errors.New("not called")

// serve runs one request through h and next as Caddy's server would prepare it.
func serve(t testing.TB, h caddyhttp.MiddlewareHandler, req *http.Request, next caddyhttp.Handler) (*httptest.ResponseRecorder, error) {
	t.Helper()
	repl := caddy.NewReplacer()
	req = caddyhttp.PrepareRequest(req, repl, nil, nil)
	rec := httptest.NewRecorder()
	err := h.ServeHTTP(rec, req, next)
	return rec, err
}
