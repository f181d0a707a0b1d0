package store

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
)

// writeSlot lets one writer at a time of this store reach a SQLite database.
//
// SQLite has a single write lock per database. Writers that find it taken
// wait in SQLite's busy handler, which polls by sleeping 1, 2, 5, 10 … 100 ms:
// with a few dozen concurrent refreshes most of a writer's time went to
// sleeping while the lock was long free again, leaving CPU idle and a p99 of
// tens of milliseconds. Queuing writers here instead hands the lock over the
// moment it is released, and in WAL mode reads go on beside the one writer
// on their own connections. busy_timeout stays as the fallback for writers
// of another process (e.g. `secretsd bootstrap` beside the server).
//
// Every write takes the slot: each transaction (on SQLite they all begin
// IMMEDIATE, taking the write lock) and each statement run by exec outside
// one (see sqlStore). The slot is not reentrant: inside inTx, write through
// the tx, never through s.w. PostgreSQL has row locks and needs no slot
// (nil).
type writeSlot struct {
	// turn holds a token while a writer has the slot. A channel rather than
	// a sync.Mutex so that a writer whose context ends while it waits gives
	// up, and waiters are served in order.
	turn    chan struct{}
	waiting atomic.Int32
}

func newWriteSlot(d dialect) *writeSlot {
	if !d.oneWriter {
		return nil
	}
	return &writeSlot{turn: make(chan struct{}, 1)}
}

// acquire waits for the slot or for ctx to end.
func (w *writeSlot) acquire(ctx context.Context) error {
	if w == nil {
		return nil
	}
	select {
	case w.turn <- struct{}{}:
		return nil
	default:
	}
	w.waiting.Add(1)
	defer w.waiting.Add(-1)
	select {
	case w.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: waiting for the database's write lock: %w", ctx.Err())
	}
}

// release hands the slot to the next writer.
func (w *writeSlot) release() {
	if w == nil {
		return
	}
	<-w.turn
	if w.waiting.Load() > 0 {
		// The runtime readies the waiter that takes the slot next to run on
		// this P, but only once this goroutine blocks: until then (the rest
		// of a request, often longer than a write) the slot would sit idle
		// while every writer waits. Measured under make bench's refresh load
		// on 2 cores: ~3,700 refreshes/s without this yield, ~4,800 with.
		runtime.Gosched()
	}
}
