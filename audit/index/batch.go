package index

import (
	"context"
	"database/sql"
	"fmt"
)

// batch is one write transaction of readSegment: the rows of up to
// batchRecords records and the segment position after them, committed
// together so the position never runs ahead of the rows (or behind them).
type batch struct {
	ix         *Index
	chain      int64
	st         *segmentState
	tx         *sql.Tx
	insertStmt *sql.Stmt
	pending    int // records in tx
	added      int // records committed
}

func newBatch(ix *Index, chain int64, st *segmentState) *batch {
	return &batch{ix: ix, chain: chain, st: st}
}

func (b *batch) begin(ctx context.Context) error {
	tx, err := b.ix.writes.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, insertEventSQL)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("audit index: %w", err)
	}
	b.tx, b.insertStmt, b.pending = tx, stmt, 0
	return nil
}

// insert adds one record's row.
func (b *batch) insert(ctx context.Context, r *indexedRecord) error {
	_, err := b.insertStmt.ExecContext(ctx, b.chain, int64(r.seq), r.ts, r.action, r.outcome,
		nullable(r.actor), nullable(r.sourceIP), nullable(r.srcHash), nullable(r.resource), nullable(r.requestID),
		r.payload)
	if err != nil {
		return fmt.Errorf("indexing seq %d: %w", r.seq, err)
	}
	if b.st.firstSeq == 0 || r.seq < b.st.firstSeq {
		b.st.firstSeq = r.seq
	}
	b.st.lastSeq = max(b.st.lastSeq, r.seq)
	b.pending++
	return nil
}

// commit stores the position and commits. It is a no-op without a tx.
func (b *batch) commit(ctx context.Context) error {
	if b.tx == nil {
		return nil
	}
	tx := b.tx
	b.tx = nil
	defer tx.Rollback()
	st := b.st
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO segments (chain, num, offset, lines, first_seq, last_seq) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (chain, num) DO UPDATE SET offset = excluded.offset, lines = excluded.lines,
		 first_seq = excluded.first_seq, last_seq = excluded.last_seq`,
		b.chain, st.num, st.offset, st.lines, int64(st.firstSeq), int64(st.lastSeq)); err != nil {
		return fmt.Errorf("audit index: storing the position: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE chains SET last_seq = max(last_seq, ?) WHERE id = ?`,
		int64(st.lastSeq), b.chain); err != nil {
		return fmt.Errorf("audit index: storing the position: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit index: committing: %w", err)
	}
	b.added += b.pending
	b.pending = 0
	return nil
}

// rollback abandons an uncommitted batch (after an error).
func (b *batch) rollback() {
	if b.tx != nil {
		b.tx.Rollback()
		b.tx = nil
	}
}

// nullable stores "" as NULL, so partial indexes skip absent values.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
