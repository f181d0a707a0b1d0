package trail

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
)

// item is one entry of the queue: an event for the chain of class index
// class, or (e nil) a Flush marker answered once everything before it is
// durable.
type item struct {
	e     *event.Event
	class uint8
	flush chan error
}

// Enqueue hands e to the writer goroutine without waiting for the disk. The
// trail owns e afterwards. Cost on the caller's goroutine: a channel send.
//
// It refuses, before queueing, what the writer goroutine could not write: an
// action outside the catalogue (ErrUnknownAction) and a source address that
// the pseudonymisation settings need to parse but that is not an IP. A zero
// @timestamp is set to now.
func (t *Trail) Enqueue(e *event.Event) error {
	if err := t.Reserve(); err != nil {
		if errors.Is(err, ErrQueueFull) && t.cfg.FailOpen {
			t.m.dropped.Inc()
			return nil
		}
		return err
	}
	return t.EnqueueReserved(e)
}

// admit checks e and returns its catalogue entry.
func (t *Trail) admit(e *event.Event) (catalogued, error) {
	if e == nil {
		return catalogued{}, fmt.Errorf("%w: nil event", ErrUnknownAction)
	}
	c, ok := catalogue()[e.Event.Action]
	if !ok {
		return c, fmt.Errorf("%w: %q", ErrUnknownAction, e.Event.Action)
	}
	if s := e.Source; s != nil {
		if err := checkAddress(pseudo.FieldSourceIP, t.ipMode, s.IP); err != nil {
			return c, err
		}
		if err := checkAddress(pseudo.FieldSourceAddress, t.addrMode, s.Address); err != nil {
			return c, err
		}
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = t.cfg.Clock.Now().UTC()
	}
	return c, nil
}

// checkAddress reports a value that field's mode must parse as an IP
// address but cannot. The value is not quoted: it may be personal data.
func checkAddress(field string, mode pseudo.Mode, value string) error {
	if value == "" || (mode != pseudo.Truncate && mode != pseudo.Pseudonymise) {
		return nil
	}
	if _, err := netip.ParseAddr(value); err != nil {
		return fmt.Errorf("audit trail: %s is not an IP address (%d bytes): %w", field, len(value), pseudo.ErrMalformedIP)
	}
	return nil
}

// Flush waits until everything enqueued before the call is durable. It
// returns ErrBroken (wrapped) when some of it could not be written.
func (t *Trail) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return ErrClosed
	}
	// The marker waits for room in a full queue, unlike an event.
	select {
	case t.q <- item{flush: done}:
	case <-ctx.Done():
		t.mu.RUnlock()
		return ctx.Err()
	}
	t.mu.RUnlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// breakWith marks the trail broken by err (the first error wins) and
// returns the error that callers get from then on.
func (t *Trail) breakWith(err error) error {
	b := fmt.Errorf("%w: %w", ErrBroken, err)
	if t.broken.CompareAndSwap(nil, &b) {
		return b
	}
	return *t.broken.Load()
}
