package trail

import "github.com/portcullis/portcullis/audit/event"

// flushSlack is the room in the queue beyond QueueSize for Flush markers, so
// that markers do not take the places of reserved events.
const flushSlack = 64

// Reserve takes one place in the queue for an event that will be handed
// over later with EnqueueReserved, or given back with Unreserve. It is how
// the gateway fails closed before doing any work: a request whose event
// could not be queued is refused up front instead of served unaudited. It
// fails with ErrQueueFull when the queue is full (whatever FailOpen says:
// the caller decides), ErrClosed after Close, and ErrBroken after a write
// error. Cost: two atomic operations.
func (t *Trail) Reserve() error {
	if b := t.broken.Load(); b != nil {
		return *b
	}
	if t.places.Add(1) > int64(t.cfg.QueueSize) {
		t.places.Add(-1)
		t.m.queueFull.Inc()
		return ErrQueueFull
	}
	return nil
}

// Unreserve gives back a place taken by Reserve and not used.
func (t *Trail) Unreserve() { t.places.Add(-1) }

// EnqueueReserved queues e in a place taken by Reserve (which it uses up,
// whatever the outcome). It never fails for want of room; it refuses what
// Enqueue refuses for e itself (ErrUnknownAction, a malformed address) and
// fails after Close.
func (t *Trail) EnqueueReserved(e *event.Event) error {
	c, err := t.admit(e)
	if err != nil {
		t.places.Add(-1)
		return err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		t.places.Add(-1)
		return ErrClosed
	}
	t.q <- item{e: e, class: c.class}
	return nil
}
