package store

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// checkpointEvery is how many writes pass between two background
// checkpoints: a write of this package adds 2 to 5 pages to the WAL.
const checkpointEvery = 256

// sqliteWriterCheckpoint is the WAL size, in pages of 4 KiB, at which the
// writer checkpoints in line (PRAGMA wal_autocheckpoint; SQLite's default is
// 1,000). It bounds the WAL file.
const sqliteWriterCheckpoint = 2000

// checkpointer copies SQLite's WAL into the database file in the background
// (PRAGMA wal_checkpoint(PASSIVE), on a read connection), beside the writer.
//
// By default SQLite checkpoints inside the commit that takes the WAL past
// 1,000 pages: copying them and two fsyncs, while the writer holds the write
// slot and every other writer waits. Only a checkpoint between two writes
// can find the whole WAL copied and let the next write start the WAL over,
// so the writer still checkpoints in line, every sqliteWriterCheckpoint
// pages; by then the background has copied nearly all of them. Measured
// under make bench's refresh load on 2 cores: ~4,500 refreshes/s without
// the background checkpoints, ~5,000 with.
type checkpointer struct {
	db     *sql.DB
	writes atomic.Int64
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(db *sql.DB) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

// wrote counts a committed write and asks for a checkpoint every
// checkpointEvery of them.
func (c *checkpointer) wrote() {
	if c == nil || c.writes.Add(1)%checkpointEvery != 0 {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default: // one is pending already
	}
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		// A failure is retried at the next kick, and the writer's own
		// checkpoints bound the WAL meanwhile.
		var busy, pages, copied int
		_ = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &pages, &copied)
	}
}

// stop ends the background checkpoints and waits for the one running, so
// that nothing uses the pools once the store is closed.
func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	c.cancel()
	<-c.done
}
